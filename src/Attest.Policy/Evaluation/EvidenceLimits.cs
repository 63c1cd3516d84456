namespace Attest.Policy.Evaluation;

/// <summary>
/// Bounds on collecting the evidence of one image digest. Anyone who can push to a repository can attach any number
/// of artifacts to an image; these keep the work per admission bounded whatever is attached, and whatever they leave
/// out is named in the reasons of a failing policy (never silently ignored, and never a reason to allow).
/// </summary>
public sealed record EvidenceLimits
{
    public static EvidenceLimits Default { get; } = new();

    /// <summary>Pages of a referrers listing read (the OCI referrers API paginates with <c>Link</c>).</summary>
    public int MaxReferrerPages { get; init; } = 8;

    /// <summary>Referrers listed in all; the rest of the listing is not read.</summary>
    public int MaxListedReferrers { get; init; } = 1_000;

    /// <summary>Sigstore bundle referrers fetched and examined; the rest are named as unexamined.</summary>
    public int MaxExaminedReferrers { get; init; } = 32;

    /// <summary>Layers read from each legacy cosign tag (<c>.sig</c>, <c>.att</c>).</summary>
    public int MaxLegacyLayers { get; init; } = Oci.OciLimits.MaxCosignLegacyLayers;

    /// <summary>One bundle carries its statement (an SBOM attestation can be large), never more than this.</summary>
    public long MaxBundleBytes { get; init; } = 32L << 20;

    /// <summary>Bytes of evidence fetched for one digest in all (bundles and legacy layers).</summary>
    public long MaxEvidenceBytes { get; init; } = 64L << 20;

    /// <summary>Platform manifests whose own evidence is collected for one index.</summary>
    public int MaxPlatforms { get; init; } = 16;
}
