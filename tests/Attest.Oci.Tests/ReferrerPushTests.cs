using System.Text;
using Attest.Core;
using Attest.Testing;

namespace Attest.Oci.Tests;

/// <summary>Pushing OCI 1.1 referrers to Distribution 2.8, which has no referrers API: the client keeps the
/// <c>sha256-&lt;hex&gt;</c> fallback index, so that the referrers it pushed are discoverable.</summary>
[Collection(RegistryCollection.Name)]
public sealed class ReferrerPushTests(RegistryFixture registry) : IDisposable
{
    private readonly RegistryClient _client = new(new RegistryClientOptions { InsecureRegistries = new HashSet<string> { registry.Host } });

    public void Dispose() => _client.Dispose();

    private async Task<(Digest Digest, byte[] Manifest)> PushArtifactAsync(string repository, Digest subject, int subjectSize, string content)
    {
        var layerBytes = Encoding.UTF8.GetBytes(content);
        await _client.PushBlobAsync(registry.Host, repository, ManifestWriter.EmptyJson);
        var layer = await _client.PushBlobAsync(registry.Host, repository, layerBytes);
        var manifest = ManifestWriter.Write(ManifestWriter.EmptyConfig,
            [new Descriptor(OciMediaTypes.SigstoreBundle, layer, layerBytes.Length)],
            new Descriptor(OciMediaTypes.ImageManifest, subject, subjectSize),
            OciMediaTypes.SigstoreBundle,
            new Dictionary<string, string> { ["note"] = "quote \" and plus +" });
        var digest = await _client.PushReferrerAsync(registry.Host, repository, manifest);
        return (digest, manifest);
    }

    [Fact]
    public async Task Referrers_pushed_are_listed_once_each_in_the_fallback_index_and_name_their_subject()
    {
        var repository = TestImages.UniqueRepository("oci/referrers-push");
        var (subject, subjectManifest) = await TestImages.PushAsync(_client, registry.Host, repository, "v1");
        var (first, firstManifest) = await PushArtifactAsync(repository, subject, subjectManifest.Length, "one");
        var (second, _) = await PushArtifactAsync(repository, subject, subjectManifest.Length, "two");
        await _client.PushReferrerAsync(registry.Host, repository, firstManifest); // again: no duplicate

        var referrers = await _client.GetReferrersAsync(registry.Host, repository, subject);
        Assert.Equal([first, second], referrers.Select(r => r.Digest));
        Assert.All(referrers, r => Assert.Equal(OciMediaTypes.SigstoreBundle, r.ArtifactType));
        Assert.All(referrers, r => Assert.Equal("quote \" and plus +", r.Annotations!["note"])); // annotations reach the index, as the referrers API would copy them

        var fetched = await _client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/{repository}@{first}"));
        Assert.Equal(firstManifest, fetched.Content.ToArray()); // stored as written: the digest covers these bytes
        Assert.Equal(subject, fetched.Subject!.Digest);
        Assert.Equal(subjectManifest.Length, fetched.Subject.Size);
        Assert.Equal(OciMediaTypes.Empty, fetched.Config!.MediaType);
        Assert.Equal("quote \" and plus +", fetched.Annotations["note"]);
    }

    [Fact]
    public async Task Fallback_tag_holding_something_other_than_an_index_is_not_overwritten()
    {
        var repository = TestImages.UniqueRepository("oci/referrers-clash");
        var (subject, subjectManifest) = await TestImages.PushAsync(_client, registry.Host, repository, "v1");
        // Someone tagged an ordinary image as sha256-<hex>.
        var (_, squatter) = await TestImages.PushAsync(_client, registry.Host, repository, RegistryClient.ReferrersTag(subject));
        var error = await Assert.ThrowsAsync<RegistryException>(() => PushArtifactAsync(repository, subject, subjectManifest.Length, "one"));
        Assert.Equal(RegistryCodes.Rejected, error.Code);
        Assert.Contains("not an image index", error.Message, StringComparison.Ordinal);
        var still = await _client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/{repository}:{RegistryClient.ReferrersTag(subject)}"));
        Assert.Equal(squatter, still.Content.ToArray());
    }

    [Fact]
    public void Appending_to_an_index_keeps_its_other_members()
    {
        var existing = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageIndex}}","annotations":{"keep":"me"},"manifests":[{"mediaType":"{{OciMediaTypes.ImageManifest}}","digest":"{{Digest.Sha256("a"u8)}}","size":1}]}""");
        var entry = new Descriptor(OciMediaTypes.ImageManifest, Digest.Sha256("b"u8), 2, OciMediaTypes.SigstoreBundle);
        var index = Manifest.Parse(Digest.Sha256("x"u8), ManifestWriter.AppendToIndex(existing, entry), null);
        Assert.Equal([Digest.Sha256("a"u8), Digest.Sha256("b"u8)], index.Manifests.Select(m => m.Digest));
        Assert.Equal(OciMediaTypes.SigstoreBundle, index.Manifests[1].ArtifactType);
        Assert.Equal("me", index.Annotations["keep"]);

        var fresh = Manifest.Parse(Digest.Sha256("y"u8), ManifestWriter.AppendToIndex(null, entry), null);
        Assert.True(fresh.IsIndex);
        Assert.Equal(entry.Digest, Assert.Single(fresh.Manifests).Digest);
    }
}
