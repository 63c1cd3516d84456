using System.Diagnostics;
using System.Text;
using Attest.Core;
using Attest.Testing;

namespace Attest.Oci.Tests;

[Collection(RegistryCollection.Name)]
public sealed class RegistryClientTests(RegistryFixture registry) : IDisposable
{
    private readonly RegistryClient _client = new(new RegistryClientOptions { InsecureRegistries = new HashSet<string> { registry.Host } });

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Resolve_turns_a_tag_into_the_digest_of_the_pushed_manifest()
    {
        var repository = TestImages.UniqueRepository("oci/resolve");
        var (digest, manifest) = await TestImages.PushAsync(_client, registry.Host, repository, "v1");
        Assert.Equal(Digest.Sha256(manifest), digest);
        Assert.Equal(digest, await _client.ResolveAsync(ImageReference.Parse($"{registry.Host}/{repository}:v1")));
    }

    [Fact]
    public async Task Tag_moved_to_another_image_resolves_to_the_new_digest()
    {
        var repository = TestImages.UniqueRepository("oci/moved");
        var (first, _) = await TestImages.PushAsync(_client, registry.Host, repository, "v1");
        var (second, _) = await TestImages.PushAsync(_client, registry.Host, repository, "v1");
        Assert.NotEqual(first, second);
        Assert.Equal(second, await _client.ResolveAsync(ImageReference.Parse($"{registry.Host}/{repository}:v1")));
        // The old digest is still fetchable: verification works on digests, never on tags.
        var old = await _client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/{repository}@{first}"));
        Assert.Equal(first, old.Digest);
    }

    [Fact]
    public async Task Manifest_by_digest_and_by_tag_are_the_exact_pushed_bytes()
    {
        var repository = TestImages.UniqueRepository("oci/manifest");
        var (digest, bytes) = await TestImages.PushAsync(_client, registry.Host, repository, "v1");

        var byDigest = await _client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/{repository}@{digest}"));
        var byTag = await _client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/{repository}:v1"));
        Assert.Equal(bytes, byDigest.Content.ToArray());
        Assert.Equal(bytes, byTag.Content.ToArray());
        Assert.Equal(OciMediaTypes.ImageManifest, byDigest.MediaType);
        Assert.Single(byDigest.Layers);
        Assert.Equal(OciMediaTypes.ImageConfig, byDigest.Config!.MediaType);
    }

    [Fact]
    public async Task Blob_is_returned_checked_against_its_digest_and_bounded_in_size()
    {
        var repository = TestImages.UniqueRepository("oci/blob");
        var content = Encoding.UTF8.GetBytes(new string('x', 10_000));
        var digest = await _client.PushBlobAsync(registry.Host, repository, content);
        Assert.Equal(content, await _client.GetBlobAsync(registry.Host, repository, digest));

        var tooLarge = await Assert.ThrowsAsync<RegistryException>(() => _client.GetBlobAsync(registry.Host, repository, digest, maxBytes: 9_999));
        Assert.Equal(RegistryCodes.TooLarge, tooLarge.Code);
    }

    [Fact]
    public async Task Missing_manifest_and_blob_are_not_found()
    {
        var repository = TestImages.UniqueRepository("oci/missing");
        await TestImages.PushAsync(_client, registry.Host, repository, "v1");
        var missing = await Assert.ThrowsAsync<RegistryException>(() => _client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/{repository}:nope")));
        Assert.Equal(RegistryCodes.NotFound, missing.Code);
        Assert.Contains("MANIFEST_UNKNOWN", missing.Message, StringComparison.Ordinal);
        Assert.Null(await _client.TryGetManifestAsync(ImageReference.Parse($"{registry.Host}/{repository}:nope")));
        var blob = await Assert.ThrowsAsync<RegistryException>(() => _client.GetBlobAsync(registry.Host, repository, Digest.Sha256("absent"u8)));
        Assert.Equal(RegistryCodes.NotFound, blob.Code);
    }

    [Fact]
    public async Task Multi_arch_index_resolves_to_the_index_digest_and_lists_platforms()
    {
        var repository = TestImages.UniqueRepository("oci/index");
        var (amd, amdBytes) = await TestImages.PushAsync(_client, registry.Host, repository, "amd64");
        var (arm, armBytes) = await TestImages.PushAsync(_client, registry.Host, repository, "arm64");
        var index = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageIndex}}","manifests":[
              {"mediaType":"{{OciMediaTypes.ImageManifest}}","digest":"{{amd}}","size":{{amdBytes.Length}},"platform":{"os":"linux","architecture":"amd64"} },
              {"mediaType":"{{OciMediaTypes.ImageManifest}}","digest":"{{arm}}","size":{{armBytes.Length}},"platform":{"os":"linux","architecture":"arm64","variant":"v8"} }]}
            """);
        var indexDigest = await _client.PushManifestAsync(registry.Host, repository, "multi", index, OciMediaTypes.ImageIndex);

        var reference = ImageReference.Parse($"{registry.Host}/{repository}:multi");
        Assert.Equal(indexDigest, await _client.ResolveAsync(reference));
        var fetched = await _client.GetManifestAsync(reference);
        Assert.True(fetched.IsIndex);
        Assert.Equal(["linux/amd64", "linux/arm64/v8"], fetched.Manifests.Select(m => m.Platform!.ToString()));
        Assert.Equal([amd, arm], fetched.Manifests.Select(m => m.Digest));
    }

    [Fact]
    public async Task Cosign_signature_is_found_by_its_digest_tag_and_an_unsigned_image_has_none()
    {
        var repository = TestImages.UniqueRepository("oci/cosign");
        var (signed, _) = await TestImages.PushAsync(_client, registry.Host, repository, "signed");
        var (unsigned, _) = await TestImages.PushAsync(_client, registry.Host, repository, "unsigned");
        var payload = Encoding.UTF8.GetBytes($$"""{"critical":{"identity":{"docker-reference":"{{registry.Host}}/{{repository}}"},"image":{"docker-manifest-digest":"{{signed}}"},"type":"cosign container image signature"},"optional":null}""");
        var payloadDigest = await _client.PushBlobAsync(registry.Host, repository, payload);
        var config = "{}"u8.ToArray();
        var configDigest = await _client.PushBlobAsync(registry.Host, repository, config);
        var signature = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}",
             "config":{"mediaType":"{{OciMediaTypes.ImageConfig}}","digest":"{{configDigest}}","size":2},
             "layers":[{"mediaType":"{{OciMediaTypes.CosignSimpleSigning}}","digest":"{{payloadDigest}}","size":{{payload.Length}},
                        "annotations":{"dev.cosignproject.cosign/signature":"MEUCIQ=="} }]}
            """);
        Assert.Equal($"sha256-{signed.Hex}.sig", RegistryClient.CosignTag(signed, CosignArtifact.Signature));
        await _client.PushManifestAsync(registry.Host, repository, RegistryClient.CosignTag(signed, CosignArtifact.Signature), signature, OciMediaTypes.ImageManifest);

        var image = ImageReference.Parse($"{registry.Host}/{repository}:signed");
        var found = await _client.GetCosignArtifactAsync(image, signed, CosignArtifact.Signature);
        Assert.NotNull(found);
        var layer = Assert.Single(found.Layers);
        Assert.Equal(OciMediaTypes.CosignSimpleSigning, layer.MediaType);
        Assert.Equal("MEUCIQ==", layer.Annotations!["dev.cosignproject.cosign/signature"]);
        Assert.Equal(payload, await _client.GetBlobAsync(registry.Host, repository, layer.Digest));

        Assert.Null(await _client.GetCosignArtifactAsync(image, unsigned, CosignArtifact.Signature));
        Assert.Null(await _client.GetCosignArtifactAsync(image, signed, CosignArtifact.Attestation));
    }

    [Fact]
    public async Task Referrers_fall_back_to_the_tag_schema_when_the_registry_has_no_referrers_api()
    {
        var repository = TestImages.UniqueRepository("oci/referrers");
        var (subject, _) = await TestImages.PushAsync(_client, registry.Host, repository, "v1");
        Assert.Empty(await _client.GetReferrersAsync(registry.Host, repository, subject));

        var (artifact, artifactBytes) = await TestImages.PushAsync(_client, registry.Host, repository, "bundle");
        var index = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageIndex}}","manifests":[
              {"mediaType":"{{OciMediaTypes.ImageManifest}}","digest":"{{artifact}}","size":{{artifactBytes.Length}},"artifactType":"{{OciMediaTypes.SigstoreBundle}}"}]}
            """);
        await _client.PushManifestAsync(registry.Host, repository, RegistryClient.ReferrersTag(subject), index, OciMediaTypes.ImageIndex);

        var referrer = Assert.Single(await _client.GetReferrersAsync(registry.Host, repository, subject));
        Assert.Equal(artifact, referrer.Digest);
        Assert.Equal(OciMediaTypes.SigstoreBundle, referrer.ArtifactType);
    }

    [Fact]
    public async Task Tags_are_listed()
    {
        var repository = TestImages.UniqueRepository("oci/tags");
        await TestImages.PushAsync(_client, registry.Host, repository, "a");
        await TestImages.PushAsync(_client, registry.Host, repository, "b");
        Assert.Equal(["a", "b"], (await _client.ListTagsAsync(registry.Host, repository)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Registry_that_is_down_fails_as_transient_unreachable_after_bounded_retries()
    {
        var port = RigProcess.FreeLoopbackPort(); // nothing listens here
        using var client = new RegistryClient(new RegistryClientOptions
        {
            InsecureRegistries = new HashSet<string> { $"127.0.0.1:{port}" },
            MaxAttempts = 3,
            AttemptTimeout = TimeSpan.FromSeconds(2),
        });
        var watch = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveAsync(ImageReference.Parse($"127.0.0.1:{port}/app:v1")));
        Assert.Equal(RegistryCodes.Unreachable, failure.Code);
        Assert.True(failure.IsTransient);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Caller_deadline_bounds_the_whole_call()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.Zero);
        var failure = await Assert.ThrowsAsync<RegistryException>(() =>
            _client.ResolveAsync(ImageReference.Parse($"{registry.Host}/oci/deadline:v1"), deadline.Token));
        Assert.Equal(RegistryCodes.Timeout, failure.Code);
    }

    [Fact]
    public async Task Registries_outside_the_allowed_list_are_not_contacted()
    {
        var repository = TestImages.UniqueRepository("oci/allowed");
        var (digest, _) = await TestImages.PushAsync(_client, registry.Host, repository, "v1");
        var reference = ImageReference.Parse($"{registry.Host}/{repository}:v1");
        using var elsewhere = new RegistryClient(new RegistryClientOptions
        {
            InsecureRegistries = new HashSet<string> { registry.Host },
            AllowedRegistries = ["registry.example.com", "*.example.org"],
        });
        var failure = await Assert.ThrowsAsync<RegistryException>(() => elsewhere.ResolveAsync(reference));
        Assert.Equal(RegistryCodes.NotAllowed, failure.Code);
        Assert.Contains(registry.Host, failure.Message, StringComparison.Ordinal);
        Assert.False(failure.IsTransient);
        using var listed = new RegistryClient(new RegistryClientOptions
        {
            InsecureRegistries = new HashSet<string> { registry.Host },
            AllowedRegistries = ["registry.example.com", registry.Host.ToUpperInvariant()],
        });
        Assert.Equal(digest, await listed.ResolveAsync(reference));
    }

    [Theory]
    [InlineData("*.example.com", "registry.example.com", true)]
    [InlineData("*.example.com", "a.b.example.com:5000", false)] // the port is part of the name
    [InlineData("*.example.com:5000", "a.example.com:5000", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "evilexample.com", false)]
    [InlineData("ghcr.io", "GHCR.IO", true)]
    [InlineData("ghcr.io", "ghcr.io.evil.com", false)]
    public void Allowed_patterns_match_whole_names_or_subdomains(string pattern, string registryName, bool allowed) =>
        Assert.Equal(allowed, new RegistryClientOptions { AllowedRegistries = [pattern] }.IsAllowed(registryName));

    [Fact]
    public async Task Link_local_registries_are_refused_unless_allowed()
    {
        using var guarded = new RegistryClient(new RegistryClientOptions
        {
            InsecureRegistries = new HashSet<string> { "169.254.169.254:9" },
            MaxAttempts = 1,
            AttemptTimeout = TimeSpan.FromSeconds(1),
        });
        var failure = await Assert.ThrowsAsync<RegistryException>(() => guarded.ResolveAsync(ImageReference.Parse("169.254.169.254:9/app:v1")));
        Assert.Equal(RegistryCodes.NotAllowed, failure.Code);
        using var permissive = new RegistryClient(new RegistryClientOptions
        {
            InsecureRegistries = new HashSet<string> { "169.254.169.254:9" },
            MaxAttempts = 1,
            AttemptTimeout = TimeSpan.FromSeconds(1),
            AllowLinkLocal = true,
        });
        // Allowed: the connection is attempted and fails in the ordinary way (nothing listens on port 9 there).
        failure = await Assert.ThrowsAsync<RegistryException>(() => permissive.ResolveAsync(ImageReference.Parse("169.254.169.254:9/app:v1")));
        Assert.NotEqual(RegistryCodes.NotAllowed, failure.Code);
    }
}
