namespace Attest.Oci.Tests;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("nginx", "docker.io/library/nginx:latest", "docker.io", "library/nginx")]
    [InlineData("nginx:1.27", "docker.io/library/nginx:1.27", "docker.io", "library/nginx")]
    [InlineData("bitnami/redis", "docker.io/bitnami/redis:latest", "docker.io", "bitnami/redis")]
    [InlineData("docker.io/nginx", "docker.io/library/nginx:latest", "docker.io", "library/nginx")]
    [InlineData("index.docker.io/library/nginx", "docker.io/library/nginx:latest", "docker.io", "library/nginx")]
    [InlineData("ghcr.io/sigstore/cosign/cosign:v2.4.1", "ghcr.io/sigstore/cosign/cosign:v2.4.1", "ghcr.io", "sigstore/cosign/cosign")]
    [InlineData("localhost/app", "127.0.0.1/app:latest", "127.0.0.1", "app")]
    [InlineData("127.0.0.1:5000/demo/app:v1", "127.0.0.1:5000/demo/app:v1", "127.0.0.1:5000", "demo/app")]
    [InlineData("Registry.Example.com:443/a/b__c/d-e.f", "registry.example.com/a/b__c/d-e.f:latest", "registry.example.com", "a/b__c/d-e.f")]
    [InlineData("[::1]:5000/app", "127.0.0.1:5000/app:latest", "127.0.0.1:5000", "app")]
    [InlineData("registry.example.com:08080/app", "registry.example.com:8080/app:latest", "registry.example.com:8080", "app")]
    [InlineData("10.1.2.3:5000/app", "10.1.2.3:5000/app:latest", "10.1.2.3:5000", "app")]
    [InlineData("[fe80:0::1]:5000/app", "[fe80::1]:5000/app:latest", "[fe80::1]:5000", "app")]
    public void Normalizes_references(string input, string normalized, string registry, string repository)
    {
        var reference = ImageReference.Parse(input);
        Assert.Equal(normalized, reference.ToString());
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
    }

    /// <summary>Every spelling of one registry parses to one canonical name (what policies match, caches key on and
    /// the ledger records).</summary>
    [Theory]
    [InlineData("127.0.0.1:5000/prod/app", "localhost:5000/prod/app", "LOCALHOST:5000/prod/app", "127.1:5000/prod/app", "127.0.0.2:5000/prod/app",
        "2130706433:5000/prod/app", "0x7f.0.0.1:5000/prod/app", "[::1]:5000/prod/app", "[0:0:0:0:0:0:0:1]:5000/prod/app", "[::ffff:127.0.0.1]:5000/prod/app",
        "0.0.0.0:5000/prod/app", "app.localhost:5000/prod/app", "127.0.0.1:05000/prod/app")]
    [InlineData("docker.io/library/nginx", "nginx", "docker.io/nginx", "docker.io:443/nginx", "index.docker.io/library/nginx", "index.docker.io:443/library/nginx",
        "registry-1.docker.io/library/nginx", "registry-1.docker.io:443/library/nginx", "Docker.IO/library/nginx", "registry.hub.docker.com/library/nginx")]
    [InlineData("ghcr.io/org/app", "GHCR.io/org/app", "ghcr.io:443/org/app", "ghcr.io:0443/org/app")]
    public void Aliases_of_a_registry_parse_to_one_canonical_name(string canonical, params string[] aliases)
    {
        Assert.Equal(canonical, ImageReference.Parse(canonical).Name);
        foreach (var alias in aliases) Assert.Equal(canonical, ImageReference.Parse(alias).Name);
    }

    [Theory]
    [InlineData("registry.example.com:0/app")]
    [InlineData("registry.example.com:65536/app")]
    public void Reference_with_an_impossible_port_is_refused(string text) => Assert.False(ImageReference.TryParse(text, out _, out _));

    [Fact]
    public void Digest_pinned_reference_keeps_tag_and_asks_for_the_digest()
    {
        const string digest = "sha256:b3fd3bf2e342cce97549378f886a543241dc05478de16d79c52afefee7c75063";
        var reference = ImageReference.Parse($"registry.example.com/app:v1@{digest}");
        Assert.Equal("v1", reference.Tag);
        Assert.Equal(digest, reference.Digest.ToString());
        Assert.Equal(digest, reference.ManifestReference);

        var noTag = ImageReference.Parse($"app@{digest}");
        Assert.Null(noTag.Tag);
        Assert.Equal($"docker.io/library/app@{digest}", noTag.ToString());
    }

    [Fact]
    public void Docker_hub_api_host_differs_from_its_name()
    {
        Assert.Equal("registry-1.docker.io", ImageReference.Parse("nginx").ApiHost);
        Assert.Equal("ghcr.io", ImageReference.Parse("ghcr.io/a/b").ApiHost);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("UPPER/case", "invalid repository")]
    [InlineData("app:", "invalid tag")]
    [InlineData("app:-bad", "invalid tag")]
    [InlineData("app@sha256:abc", "invalid digest")]
    [InlineData("app@md5:d41d8cd98f00b204e9800998ecf8427e", "invalid digest")]
    [InlineData("a//b", "invalid repository")]
    [InlineData("a/b/", "invalid repository")]
    [InlineData("app name", "printable ASCII")]
    [InlineData("app\u0000", "printable ASCII")]
    [InlineData("app\u00e9", "printable ASCII")]
    [InlineData("-bad.example.com/app", "invalid registry")]
    [InlineData("bad_host.example.com/app", "invalid registry")]
    [InlineData("a.example.com:99999999/app", "invalid registry")]
    public void Rejects_malformed_references_with_a_reason(string input, string reason)
    {
        Assert.False(ImageReference.TryParse(input, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_overlong_references()
    {
        Assert.False(ImageReference.TryParse("r.io/" + new string('a', 300), out _, out var error));
        Assert.Contains("longer than 255", error, StringComparison.Ordinal);
        Assert.False(ImageReference.TryParse(new string('a', 10_000), out _, out error));
        Assert.Contains("longer than", error, StringComparison.Ordinal);
    }
}
