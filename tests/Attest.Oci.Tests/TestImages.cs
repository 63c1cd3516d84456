using System.Text;
using Attest.Core;

namespace Attest.Oci.Tests;

/// <summary>Builds and pushes small, unique images with the client under test.</summary>
internal static class TestImages
{
    public static string UniqueRepository(string prefix) => $"{prefix}/{Guid.NewGuid():N}";

    public static byte[] ImageManifest(Digest config, int configSize, Digest layer, int layerSize, string? extraAnnotation = null) =>
        Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}",
             "config":{"mediaType":"{{OciMediaTypes.ImageConfig}}","digest":"{{config}}","size":{{configSize}}},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{layer}}","size":{{layerSize}}}]
             {{(extraAnnotation is null ? "" : $",\"annotations\":{{\"note\":\"{extraAnnotation}\"}}")}}}
            """);

    /// <summary>Pushes a one-layer image under <paramref name="tag"/>; returns its manifest digest and bytes.</summary>
    public static async Task<(Digest Digest, byte[] Manifest)> PushAsync(RegistryClient client, string registry, string repository, string tag, string? os = null)
    {
        var layer = Encoding.UTF8.GetBytes($"layer {Guid.NewGuid()}");
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"{{os ?? "linux"}}","rootfs":{"type":"layers","diff_ids":[]} }""");
        var layerDigest = await client.PushBlobAsync(registry, repository, layer);
        var configDigest = await client.PushBlobAsync(registry, repository, config);
        var manifest = ImageManifest(configDigest, config.Length, layerDigest, layer.Length);
        var digest = await client.PushManifestAsync(registry, repository, tag, manifest, OciMediaTypes.ImageManifest);
        return (digest, manifest);
    }
}
