using Attest.Core;

namespace Attest.Oci;

/// <summary>
/// Attaches Attest's signatures and attestations to images in cosign's layouts, so that cosign-compatible verifiers
/// (and Attest's webhook) find them: an OCI 1.1 referrer whose single layer is the Sigstore bundle, and the legacy
/// <c>sha256-&lt;hex&gt;.sig</c> / <c>.att</c> tags (cosign specs/BUNDLE_SPEC.md and SIGNATURE_SPEC.md), to whose manifest a new layer is appended as cosign does.
/// The server pushes with its registry client (the credentials and CAs of admission); <c>attest sign --push</c> with
/// the CI job's.
/// </summary>
public sealed class RegistryPublisher(RegistryClient registry, TimeProvider time)
{
    /// <summary>Layers a legacy tag may hold: the webhook examines this many, so more would be invisible to it.</summary>
    public const int MaxLegacyLayers = OciLimits.MaxCosignLegacyLayers;

    /// <summary>Annotations cosign writes on a bundle referrer manifest (sigstore-go's OCI bundle layout).</summary>
    public const string BundleContentAnnotation = "dev.sigstore.bundle.content";
    public const string BundlePredicateTypeAnnotation = "dev.sigstore.bundle.predicateType";

    // Appending is read-modify-write of a tag: requests for the same tag are serialized here (striped by tag) so
    // that concurrent signings through this server do not drop each other's layer. Other writers can still race,
    // as they can with cosign itself.
    private readonly SemaphoreSlim[] _tagLocks = Enumerable.Range(0, 16).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    /// <summary>The image's manifest as a descriptor (a tag resolves to what it names now).</summary>
    public async Task<Descriptor> ResolveAsync(ImageReference image, CancellationToken cancellationToken)
    {
        var manifest = await registry.GetManifestAsync(image, cancellationToken).ConfigureAwait(false);
        return new Descriptor(manifest.MediaType, manifest.Digest, manifest.Content.Length);
    }

    /// <summary>Pushes a bundle as an OCI 1.1 referrer of <paramref name="subject"/>; returns the referrer manifest digest.</summary>
    public async Task<Digest> PushBundleReferrerAsync(ImageReference image, Descriptor subject, byte[] bundle, string? predicateType, CancellationToken cancellationToken)
    {
        var config = await PushBlobAsync(image, ManifestWriter.EmptyJson, cancellationToken).ConfigureAwait(false);
        var layer = await PushBlobAsync(image, bundle, cancellationToken).ConfigureAwait(false);
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [BundleContentAnnotation] = predicateType is null ? "message-signature" : "dsse-envelope",
            ["org.opencontainers.image.created"] = time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (predicateType is not null) annotations[BundlePredicateTypeAnnotation] = predicateType;
        var manifest = ManifestWriter.Write(
            config with { MediaType = OciMediaTypes.Empty },
            // The title lets `oras pull` save it under a collision-free name (cosign BUNDLE_SPEC.md).
            [layer with { MediaType = OciMediaTypes.SigstoreBundle, Annotations = new Dictionary<string, string> { ["org.opencontainers.image.title"] = $"{layer.Digest.Algorithm}-{layer.Digest.Hex}.sigstore.json" } }],
            subject,
            OciMediaTypes.SigstoreBundle,
            annotations);
        return await registry.PushReferrerAsync(image.Registry, image.Repository, manifest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends a layer to the legacy cosign manifest under <c>sha256-&lt;hex&gt;.sig</c> (or <c>.att</c>),
    /// creating it when absent; returns the tag and the new manifest digest.</summary>
    /// <exception cref="RegistryException">The tag holds something else, or already <see cref="MaxLegacyLayers"/> layers.</exception>
    public async Task<(string Tag, Digest Manifest)> AppendLegacyLayerAsync(
        ImageReference image, Digest subject, CosignArtifact kind, byte[] content, string mediaType, IReadOnlyDictionary<string, string> annotations,
        CancellationToken cancellationToken)
    {
        var tag = RegistryClient.CosignTag(subject, kind);
        var tagLock = _tagLocks[(int)((uint)StringComparer.Ordinal.GetHashCode($"{image.Name}:{tag}") % (uint)_tagLocks.Length)];
        await tagLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await AppendLockedAsync(image, subject, kind, tag, content, mediaType, annotations, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            tagLock.Release();
        }
    }

    private async Task<(string Tag, Digest Manifest)> AppendLockedAsync(
        ImageReference image, Digest subject, CosignArtifact kind, string tag, byte[] content, string mediaType, IReadOnlyDictionary<string, string> annotations,
        CancellationToken cancellationToken)
    {
        var existing = await registry.GetCosignArtifactAsync(image, subject, kind, cancellationToken).ConfigureAwait(false);
        if (existing is { IsIndex: true })
            throw new RegistryException(RegistryCodes.Rejected, $"{image.Name}:{tag} is an index ({existing.MediaType}), not a cosign signature manifest; nothing was pushed to it");
        var layers = existing?.Layers.ToList() ?? [];
        if (layers.Count >= MaxLegacyLayers)
            throw new RegistryException(RegistryCodes.TooLarge, $"{image.Name}:{tag} already holds {layers.Count} layers, the most verifiers examine; nothing was appended");

        var layer = await PushBlobAsync(image, content, cancellationToken).ConfigureAwait(false);
        layers.Add(layer with { MediaType = mediaType, Annotations = annotations });

        // cosign's config for signature images: one (empty) history entry and diff ID per layer.
        var history = string.Join(",", layers.Select(_ => "{\"created\":\"0001-01-01T00:00:00Z\"}"));
        var diffIds = string.Join(",", layers.Select(l => $"\"{l.Digest}\""));
        var configJson = System.Text.Encoding.UTF8.GetBytes(
            "{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":[" + history +
            "],\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]},\"config\":{}}");
        var config = await PushBlobAsync(image, configJson, cancellationToken).ConfigureAwait(false);
        var manifest = ManifestWriter.Write(config with { MediaType = OciMediaTypes.ImageConfig }, layers);
        var digest = await registry.PushManifestAsync(image.Registry, image.Repository, tag, manifest, OciMediaTypes.ImageManifest, cancellationToken).ConfigureAwait(false);
        return (tag, digest);
    }

    private async Task<Descriptor> PushBlobAsync(ImageReference image, byte[] content, CancellationToken cancellationToken)
    {
        var digest = await registry.PushBlobAsync(image.Registry, image.Repository, content, cancellationToken).ConfigureAwait(false);
        return new Descriptor("application/octet-stream", digest, content.Length);
    }
}
