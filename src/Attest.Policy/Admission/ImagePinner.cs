using Attest.Oci;

namespace Attest.Policy.Admission;

/// <summary>A JSONPatch (RFC 6902) <c>replace</c> of one container's image.</summary>
public sealed record ImagePatch(string Pointer, string Image);

public sealed record PinningResult(IReadOnlyList<ImagePatch> Patches, IReadOnlyList<string> Warnings);

/// <summary>
/// What the mutating webhook does and nothing more: pins every tag to the digest it names now
/// (<c>app:v1</c> → <c>app:v1@sha256:…</c>), so that the validating webhook verifies, and the kubelet pulls, the
/// same bytes. Images already pinned are left alone; an image that cannot be resolved is left as it is with a
/// warning (the validating webhook then refuses it, failing closed, with the cause).
/// </summary>
public sealed class ImagePinner(RegistryClient registry)
{
    /// <summary>Pins <paramref name="images"/>, reading registries with <paramref name="credentials"/> (the workload's
    /// pull secrets; null: the configured ones).</summary>
    public async Task<PinningResult> PinAsync(IReadOnlyList<ContainerImage> images, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        var client = registry.WithCredentials(credentials);
        var work = images.Select(async image =>
        {
            if (!ImageReference.TryParse(image.Image, out var reference, out var error))
                return (Patch: (ImagePatch?)null, Warning: (string?)$"container '{image.Container}': {error}");
            if (reference.Digest is not null) return (null, null);
            try
            {
                var digest = await client.ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
                return (new ImagePatch(image.Pointer, $"{image.Image}@{digest}"), null);
            }
            catch (RegistryException e)
            {
                return (null, $"container '{image.Container}': image {image.Image} was not pinned to a digest: {e.Message} [{e.Code}]");
            }
        }).ToList();
        var results = await Task.WhenAll(work).ConfigureAwait(false);
        return new PinningResult(
            results.Where(r => r.Patch is not null).Select(r => r.Patch!).ToList(),
            results.Where(r => r.Warning is not null).Select(r => r.Warning!).ToList());
    }
}
