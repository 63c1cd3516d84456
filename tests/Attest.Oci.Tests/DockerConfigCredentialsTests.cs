using System.Text;

namespace Attest.Oci.Tests;

public sealed class DockerConfigCredentialsTests
{
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void Reads_auth_username_password_and_identity_token_entries_with_normalized_keys()
    {
        var config = $$"""
            {"auths": {
              "https://index.docker.io/v1/": {"auth": "{{B64("hubuser:hub:pass")}}"},
              "ghcr.io": {"username": "gh", "password": "tok"},
              "http://registry.example.com:5000/v2/": {"identitytoken": "refresh"},
              "empty.example.com": {}
            }, "credsStore": "desktop"}
            """;
        var credentials = DockerConfigCredentials.ParseConfigJson(Encoding.UTF8.GetBytes(config));
        Assert.Equal(new RegistryCredential("hubuser", "hub:pass"), credentials.GetCredential("docker.io"));
        Assert.Equal(new RegistryCredential("gh", "tok"), credentials.GetCredential("ghcr.io"));
        Assert.Equal("refresh", credentials.GetCredential("registry.example.com:5000")!.IdentityToken);
        Assert.Null(credentials.GetCredential("empty.example.com"));
        Assert.Null(credentials.GetCredential("quay.io"));
    }

    [Fact]
    public void Reads_both_kinds_of_kubernetes_image_pull_secret()
    {
        var modern = DockerConfigCredentials.FromPullSecret("kubernetes.io/dockerconfigjson", new Dictionary<string, byte[]>
        {
            [".dockerconfigjson"] = Encoding.UTF8.GetBytes($$"""{"auths":{"reg.example.com":{"auth":"{{B64("u:p")}}"} } }"""),
        });
        var legacy = DockerConfigCredentials.FromPullSecret("kubernetes.io/dockercfg", new Dictionary<string, byte[]>
        {
            [".dockercfg"] = Encoding.UTF8.GetBytes($$"""{"old.example.com":{"auth":"{{B64("o:q")}}"} }"""),
        });
        Assert.Equal(new RegistryCredential("u", "p"), modern.GetCredential("reg.example.com"));
        Assert.Equal(new RegistryCredential("o", "q"), legacy.GetCredential("old.example.com"));

        var combined = DockerConfigCredentials.Combine(modern, legacy);
        Assert.Equal("u", combined.GetCredential("reg.example.com")!.Username);
        Assert.Equal("o", combined.GetCredential("old.example.com")!.Username);
        Assert.Throws<FormatException>(() => DockerConfigCredentials.FromPullSecret("Opaque", new Dictionary<string, byte[]>()));
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("""{"auths": []}""", "must be an object")]
    [InlineData("""{"auths": {"r.io": {"auth": "!!!"}}}""", "not valid base64")]
    [InlineData("""{"auths": {"r.io": {"auth": "bm9jb2xvbg=="}}}""", "not user:password")]
    public void Malformed_configuration_is_rejected_with_a_reason(string json, string reason)
    {
        var error = Assert.Throws<FormatException>(() => DockerConfigCredentials.ParseConfigJson(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Credential_text_never_shows_the_secret()
    {
        var text = new RegistryCredential("user", "s3cret-value", "refresh-token").ToString();
        Assert.Contains("user", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", text, StringComparison.Ordinal);
        Assert.DoesNotContain("refresh-token", text, StringComparison.Ordinal);
    }
}
