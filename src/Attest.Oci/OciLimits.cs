namespace Attest.Oci;

/// <summary>Bounds on everything read from a registry: a hostile or broken registry gets a clear error, never
/// unbounded memory.</summary>
public static class OciLimits
{
    /// <summary>Manifests and indexes (the OCI distribution spec lets registries refuse more than 4 MiB).</summary>
    public const int MaxManifestBytes = 4 << 20;

    /// <summary>Default for blobs Attest reads (signature payloads, attestations, SBOMs); callers may lower it.</summary>
    public const long DefaultMaxBlobBytes = 64L << 20;

    public const int MaxDescriptors = 1_000;

    /// <summary>Pages of a referrers listing followed by <see cref="RegistryClient.GetReferrersAsync"/>.</summary>
    public const int MaxReferrerPages = 16;
    public const int MaxTokenResponseBytes = 1 << 20;
    public const int MaxErrorBodyBytes = 16 << 10;
    public const int MaxTags = 100_000;
    public const int MaxJsonDepth = 32;
    public const int MaxRedirects = 5;

    /// <summary>Layers of a legacy cosign tag (<c>.sig</c>, <c>.att</c>) read by verifiers, and so the most a pusher appends to.</summary>
    public const int MaxCosignLegacyLayers = 32;
}
