using System.Text;
using Attest.Core;
using Attest.Testing;

namespace Attest.Oci.Tests;

/// <summary>
/// The OCI 1.1 referrers API branch of the client, against the real registry behind <see cref="ReferrersApiProxy"/>
/// (Distribution 2.8 has no referrers API): pushing with <c>OCI-Subject</c> (no fallback index), listing across
/// <c>Link</c> pages, and registries whose pages never end or lead elsewhere.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class ReferrersApiTests(RegistryFixture registry) : IAsyncLifetime
{
    private ReferrersApiProxy _proxy = null!;
    private RegistryClient _client = null!;

    public Task InitializeAsync()
    {
        _proxy = new ReferrersApiProxy(registry.Host);
        _client = new RegistryClient(new RegistryClientOptions { InsecureRegistries = new HashSet<string> { _proxy.Host } });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _proxy.DisposeAsync();
    }

    private async Task<Digest> PushArtifactAsync(string repository, Digest subject, string content, string artifactType = OciMediaTypes.SigstoreBundle)
    {
        var layerBytes = Encoding.UTF8.GetBytes(content);
        await _client.PushBlobAsync(_proxy.Host, repository, ManifestWriter.EmptyJson);
        var layer = await _client.PushBlobAsync(_proxy.Host, repository, layerBytes);
        var manifest = ManifestWriter.Write(ManifestWriter.EmptyConfig, [new Descriptor(artifactType, layer, layerBytes.Length)],
            new Descriptor(OciMediaTypes.ImageManifest, subject, 0), artifactType);
        return await _client.PushReferrerAsync(_proxy.Host, repository, manifest);
    }

    [Fact]
    public async Task Referrers_are_listed_through_the_api_across_every_linked_page()
    {
        var repository = TestImages.UniqueRepository("oci/referrers-api");
        var (subject, _) = await TestImages.PushAsync(_client, _proxy.Host, repository, "v1");
        var pushed = new List<Digest>();
        for (var i = 0; i < 5; i++) pushed.Add(await PushArtifactAsync(repository, subject, $"bundle {i}"));
        _proxy.PageSize = 2;

        var before = _proxy.ReferrerRequests;
        var listed = await _client.GetReferrersAsync(_proxy.Host, repository, subject);

        Assert.Equal(pushed.Select(d => d.ToString()).Order(StringComparer.Ordinal), listed.Select(d => d.Digest.ToString()).Order(StringComparer.Ordinal));
        Assert.All(listed, d => Assert.Equal(OciMediaTypes.SigstoreBundle, d.ArtifactType));
        Assert.Equal(3, _proxy.ReferrerRequests - before); // pages of 2, 2 and 1, followed by their Link headers
        // The registry said OCI-Subject, so the client kept no tag-schema fallback index: the listing came from the API.
        Assert.Null(await _client.TryGetManifestAsync(ImageReference.Parse($"{_proxy.Host}/{repository}:{RegistryClient.ReferrersTag(subject)}")));
    }

    [Fact]
    public async Task A_subject_without_referrers_lists_none_from_the_api()
    {
        var repository = TestImages.UniqueRepository("oci/referrers-none");
        var (subject, _) = await TestImages.PushAsync(_client, _proxy.Host, repository, "v1");
        var page = await _client.GetReferrersPageAsync(_proxy.Host, repository, subject, null);
        Assert.True(page.FromApi);
        Assert.Empty(page.Referrers);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task A_listing_whose_pages_never_end_is_refused_after_the_page_bound()
    {
        var repository = TestImages.UniqueRepository("oci/referrers-endless");
        var (subject, _) = await TestImages.PushAsync(_client, _proxy.Host, repository, "v1");
        await PushArtifactAsync(repository, subject, "bundle");
        _proxy.EndlessPages = true;

        var before = _proxy.ReferrerRequests;
        var error = await Assert.ThrowsAsync<RegistryException>(() => _client.GetReferrersAsync(_proxy.Host, repository, subject));
        Assert.Equal(RegistryCodes.TooLarge, error.Code);
        Assert.Equal(OciLimits.MaxReferrerPages, _proxy.ReferrerRequests - before);
    }

    [Fact]
    public async Task A_next_page_link_that_leaves_the_listing_is_refused()
    {
        var repository = TestImages.UniqueRepository("oci/referrers-escape");
        var (subject, _) = await TestImages.PushAsync(_client, _proxy.Host, repository, "v1");
        foreach (var next in new[] { "http://169.254.169.254/latest/meta-data/", $"/v2/{repository}/manifests/v1", "//evil.example/v2/x/referrers/y" })
        {
            var error = await Assert.ThrowsAsync<RegistryException>(() => _client.GetReferrersPageAsync(_proxy.Host, repository, subject, next));
            Assert.Equal(RegistryCodes.Malformed, error.Code);
        }
    }
}
