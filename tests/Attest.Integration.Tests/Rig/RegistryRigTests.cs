using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Attest.Core;
using Attest.Testing;

namespace Attest.Integration.Tests.Rig;

[Collection(RigCollection.Name)]
public sealed class RegistryRigTests(RegistryFixture registry)
{
    private const string OciManifest = "application/vnd.oci.image.manifest.v1+json";

    [Fact]
    public async Task Registry_stores_a_blob_and_a_manifest_and_serves_them_back_by_digest()
    {
        var repository = $"rig/roundtrip-{Guid.NewGuid():N}";
        var layer = Encoding.UTF8.GetBytes($"layer content {Guid.NewGuid()}");
        var config = "{}"u8.ToArray();
        var layerDigest = await PushBlobAsync(repository, layer);
        var configDigest = await PushBlobAsync(repository, config);

        var manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciManifest}}",
             "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{layerDigest}}","size":{{layer.Length}}}]}
            """);
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri(registry.BaseUri, $"v2/{repository}/manifests/v1"))
        {
            Content = new ByteArrayContent(manifest) { Headers = { ContentType = new MediaTypeHeaderValue(OciManifest) } },
        };
        using var putResponse = await registry.Client.SendAsync(put);
        Assert.Equal(HttpStatusCode.Created, putResponse.StatusCode);
        var manifestDigest = Digest.Sha256(manifest).ToString();
        Assert.Equal(manifestDigest, putResponse.Headers.GetValues("Docker-Content-Digest").Single());

        // Read back by digest: the exact bytes, and the registry's digest header agrees with our hash.
        using var get = new HttpRequestMessage(HttpMethod.Get, new Uri(registry.BaseUri, $"v2/{repository}/manifests/{manifestDigest}"));
        get.Headers.Accept.ParseAdd(OciManifest);
        using var getResponse = await registry.Client.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, getResponse.StatusCode);
        Assert.Equal(manifest, await getResponse.Content.ReadAsByteArrayAsync());
        Assert.Equal(manifestDigest, getResponse.Headers.GetValues("Docker-Content-Digest").Single());

        var blob = await registry.Client.GetByteArrayAsync(new Uri(registry.BaseUri, $"v2/{repository}/blobs/{layerDigest}"));
        Assert.Equal(layer, blob);
        Assert.Equal(layerDigest, Digest.Sha256(blob).ToString());
    }

    [Fact]
    public async Task Registry_refuses_an_OCI_manifest_to_a_client_that_does_not_accept_OCI()
    {
        // Real Distribution behaviour the registry client must handle (a stub would happily serve it).
        var repository = $"rig/accept-{Guid.NewGuid():N}";
        var config = "{}"u8.ToArray();
        var configDigest = await PushBlobAsync(repository, config);
        var manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciManifest}}","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{{configDigest}}","size":2},"layers":[]}
            """);
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri(registry.BaseUri, $"v2/{repository}/manifests/v1"))
        {
            Content = new ByteArrayContent(manifest) { Headers = { ContentType = new MediaTypeHeaderValue(OciManifest) } },
        };
        using (var response = await registry.Client.SendAsync(put)) Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        using var get = new HttpRequestMessage(HttpMethod.Get, new Uri(registry.BaseUri, $"v2/{repository}/manifests/v1"));
        using var refused = await registry.Client.SendAsync(get);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Contains("MANIFEST_UNKNOWN", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registry_rejects_a_blob_whose_content_does_not_match_its_digest()
    {
        var repository = $"rig/bad-{Guid.NewGuid():N}";
        var location = await StartUploadAsync(repository);
        var wrong = Digest.Sha256("something else"u8).ToString();
        using var put = new HttpRequestMessage(HttpMethod.Put, AppendDigest(location, wrong)) { Content = new ByteArrayContent("content"u8.ToArray()) };
        using var response = await registry.Client.SendAsync(put);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("DIGEST_INVALID", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposed_registry_fixture_stops_its_server_and_removes_its_directory()
    {
        var own = new RegistryFixture();
        await own.InitializeAsync();
        var uri = new Uri(own.BaseUri, "v2/");
        var directory = Path.GetDirectoryName(own.LogFile)!;
        Assert.True(Directory.Exists(directory));
        await own.DisposeAsync();

        Assert.False(Directory.Exists(directory));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(uri));
    }

    private async Task<string> PushBlobAsync(string repository, byte[] content)
    {
        var digest = Digest.Sha256(content).ToString();
        var location = await StartUploadAsync(repository);
        using var put = new HttpRequestMessage(HttpMethod.Put, AppendDigest(location, digest)) { Content = new ByteArrayContent(content) };
        using var response = await registry.Client.SendAsync(put);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    private async Task<Uri> StartUploadAsync(string repository)
    {
        using var post = await registry.Client.PostAsync(new Uri(registry.BaseUri, $"v2/{repository}/blobs/uploads/"), null);
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        return new Uri(registry.BaseUri, post.Headers.Location!);
    }

    private static Uri AppendDigest(Uri location, string digest) =>
        new(location + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest));
}
