using System.Security.Cryptography;
using System.Text.Json;
using Attest.Core;
using Attest.Oci;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Admission;

/// <summary>
/// The webhook reading signatures through the OCI 1.1 referrers API (the real registry behind
/// <see cref="ReferrersApiProxy"/>): signatures listed on a later page are found by following <c>Link</c>, and a
/// listing that never ends is read to the bound and denies, naming what was not read.
/// </summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class ReferrersApiAdmissionTests(RegistryFixture registry) : IAsyncLifetime
{
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private readonly TestSigstore _sigstore = new();
    private readonly ECDsa _releaseKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private ReferrersApiProxy _proxy = null!;
    private RegistryClient _client = null!;
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        _proxy = new ReferrersApiProxy(registry.Host) { PageSize = 1 };
        _client = new RegistryClient(new RegistryClientOptions { InsecureRegistries = new HashSet<string> { _proxy.Host } });
        Directory.CreateDirectory(_workspace.PolicyDirectory);
        _sigstore.WriteTrustedRoot(Path.Combine(_workspace.PolicyDirectory, "trusted_root.json"));
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "release.pub"), _releaseKey.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "policies.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: keyed}
            spec:
              match: {images: ["{{_proxy.Host}}/api/**"]}
              signatures:
                authorities: [{name: release-key, trustedRoot: trusted_root.json, key: {file: release.pub} }]
            """);
        _server = await _workspace.StartWebhookAsync($"--Attest:Registries:Insecure:0={_proxy.Host}", "--Attest:Admission:VerdictCacheSeconds=0");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
        await _proxy.DisposeAsync();
        _sigstore.Dispose();
        _releaseKey.Dispose();
        _workspace.Dispose();
    }

    private async Task<Digest> PushImageAsync(string repository)
    {
        var config = System.Text.Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","created":"{{Guid.NewGuid()}}"}""");
        var configDigest = await _client.PushBlobAsync(_proxy.Host, repository, config);
        var manifest = ManifestWriter.Write(new Descriptor(OciMediaTypes.ImageConfig, configDigest, config.Length), []);
        return await _client.PushManifestAsync(_proxy.Host, repository, "v1", manifest, OciMediaTypes.ImageManifest);
    }

    private async Task AttachAsync(string repository, Digest subject, byte[] content, string artifactType)
    {
        await _client.PushBlobAsync(_proxy.Host, repository, ManifestWriter.EmptyJson);
        var layer = await _client.PushBlobAsync(_proxy.Host, repository, content);
        await _client.PushReferrerAsync(_proxy.Host, repository, ManifestWriter.Write(ManifestWriter.EmptyConfig,
            [new Descriptor(artifactType, layer, content.Length)], new Descriptor(OciMediaTypes.ImageManifest, subject, 0), artifactType));
    }

    private async Task<JsonElement> ValidateAsync(string image)
    {
        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", image);
        var (status, body) = await AdmissionRequests.PostAsync(_server.Client, "admission/validate", review);
        Assert.Equal(200, status);
        return body.RootElement.GetProperty("response").Clone();
    }

    [Fact]
    public async Task A_signature_on_a_later_page_of_the_referrers_api_admits_the_image()
    {
        var digest = await PushImageAsync("api/app");
        for (var i = 0; i < 3; i++) await AttachAsync("api/app", digest, System.Text.Encoding.UTF8.GetBytes($"{{\"sbom\":{i}}}"), "application/spdx+json");
        await AttachAsync("api/app", digest, _sigstore.SignImage(digest, _releaseKey), OciMediaTypes.SigstoreBundle);

        var before = _proxy.ReferrerRequests;
        var response = await ValidateAsync($"{_proxy.Host}/api/app@{digest}");
        Assert.True(response.GetProperty("allowed").GetBoolean(), response.ToString());
        Assert.Equal(4, _proxy.ReferrerRequests - before); // one referrer per page
    }

    [Fact]
    public async Task A_referrers_listing_that_never_ends_denies_and_says_it_was_cut_short()
    {
        var digest = await PushImageAsync("api/endless");
        await AttachAsync("api/endless", digest, _sigstore.SignImage(digest, _releaseKey), OciMediaTypes.SigstoreBundle);
        _proxy.EndlessPages = true;
        try
        {
            var response = await ValidateAsync($"{_proxy.Host}/api/endless@{digest}");
            // The signature on the first page still counts; what was cut short is named but does not turn it into a denial.
            Assert.True(response.GetProperty("allowed").GetBoolean(), response.ToString());

            var unsigned = await PushImageAsync("api/endless-unsigned");
            await AttachAsync("api/endless-unsigned", unsigned, System.Text.Encoding.UTF8.GetBytes("{}"), "application/spdx+json");
            var denied = await ValidateAsync($"{_proxy.Host}/api/endless-unsigned@{unsigned}");
            Assert.False(denied.GetProperty("allowed").GetBoolean());
            Assert.Contains("[evidence.listing-truncated]", denied.GetProperty("status").GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            _proxy.EndlessPages = false;
        }
    }
}
