using Attest.Core;
using Attest.Oci;

namespace Attest.Policy.Evaluation;

/// <summary>A Sigstore bundle found attached to an image; nothing about it is trusted yet.</summary>
public sealed record FoundBundle(string Source, byte[] Json);

public sealed record CollectedEvidence(IReadOnlyList<FoundBundle> Bundles, IReadOnlyList<Finding> Problems);

/// <summary>
/// Finds the signatures and attestations attached to an image digest: Sigstore bundles among its OCI 1.1
/// referrers (the registry's referrers API, or the <c>sha256-&lt;hex&gt;</c> fallback index). Discovery only: a
/// bundle counts once it verifies against an authority of a matching policy.
/// </summary>
public sealed class EvidenceCollector(RegistryClient registry)
{
    /// <summary>Referrers examined per image; more are reported, not silently ignored.</summary>
    public const int MaxArtifacts = 32;

    /// <summary>A bundle carries its statement (an SBOM attestation can be large), never more than this.</summary>
    public const long MaxBundleBytes = 32L << 20;

    public async Task<CollectedEvidence> CollectAsync(ImageReference image, Digest digest, CancellationToken cancellationToken)
    {
        var referrers = await registry.GetReferrersAsync(image.Registry, image.Repository, digest, cancellationToken).ConfigureAwait(false);
        var candidates = referrers.Where(r => IsBundle(r.ArtifactType) || IsBundle(r.MediaType)).ToList();
        var problems = new List<Finding>();
        if (candidates.Count > MaxArtifacts)
        {
            problems.Add(new Finding(AdmissionCodes.EvidenceTooMuch,
                $"{candidates.Count} Sigstore bundles are attached; only the first {MaxArtifacts} were examined"));
            candidates = candidates.Take(MaxArtifacts).ToList();
        }

        var found = await Task.WhenAll(candidates.Select(async descriptor =>
        {
            var source = $"referrer {descriptor.Digest}";
            try
            {
                var manifest = await registry.GetManifestAsync(ImageReference.Parse($"{image.Name}@{descriptor.Digest}"), cancellationToken).ConfigureAwait(false);
                var layer = manifest.Layers.FirstOrDefault(l => IsBundle(l.MediaType));
                if (layer is null) return (Bundle: (FoundBundle?)null, Problem: (Finding?)new Finding(AdmissionCodes.SignatureUntrusted, $"{source} has no bundle layer"));
                var json = await registry.GetBlobAsync(image.Registry, image.Repository, layer.Digest, MaxBundleBytes, cancellationToken).ConfigureAwait(false);
                return (new FoundBundle(source, json), null);
            }
            catch (RegistryException e) when (!e.IsTransient)
            {
                // A broken referrer is not evidence; it does not stop the others from counting.
                return (null, new Finding(e.Code, $"{source} could not be read: {e.Message}"));
            }
        })).ConfigureAwait(false);

        problems.AddRange(found.Where(f => f.Problem is not null).Select(f => f.Problem!));
        return new CollectedEvidence(found.Where(f => f.Bundle is not null).Select(f => f.Bundle!).ToList(), problems);
    }

    private static bool IsBundle(string? mediaType) =>
        mediaType is not null && mediaType.StartsWith("application/vnd.dev.sigstore.bundle", StringComparison.Ordinal);
}
