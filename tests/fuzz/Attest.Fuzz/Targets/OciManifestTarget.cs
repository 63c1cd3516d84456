using Attest.Core;
using Attest.Oci;

namespace Attest.Fuzz.Targets;

/// <summary>
/// A manifest or index a registry serves, read by <see cref="RegistryClient"/> as admission does: by tag
/// (<see cref="RegistryClient.GetManifestAsync"/>, hashed and parsed by <see cref="Manifest.Parse"/>), and as a
/// referrers index (<see cref="RegistryClient.GetReferrersAsync"/>). <see cref="RegistryException"/> with a reason
/// code is the documented refusal.
/// </summary>
internal static class OciManifestTarget
{
    private static readonly ImageReference Image = ImageReference.Parse(FakeRegistry.Host + "/app:latest");
    private static readonly Digest Subject = Digest.Sha256("subject"u8.ToArray());

    public static void Run(byte[] input)
    {
        using var client = new RegistryClient(new RegistryClientOptions { MaxAttempts = 1 }, TimeProvider.System,
            new FakeRegistry(request => FakeRegistry.Content(input, request.RequestUri!.AbsolutePath.Contains("/referrers/", StringComparison.Ordinal)
                ? OciMediaTypes.ImageIndex
                : null)));
        FakeRegistry.Expect(async () =>
        {
            var manifest = await client.GetManifestAsync(Image).ConfigureAwait(false);
            foreach (var descriptor in manifest.Manifests.Concat(manifest.Layers)) _ = descriptor.ToString();
        });
        FakeRegistry.Expect(() => client.GetReferrersAsync(Image.Registry, Image.Repository, Subject));
    }
}
