namespace Attest.Sigstore;

/// <summary>Bounds applied to every untrusted Sigstore input, read by parsing and verification alike.</summary>
public sealed record SigstoreLimits
{
    public static SigstoreLimits Default { get; } = new();

    /// <summary>Bundle JSON bytes (real bundles are 5–30 KB; DSSE payloads make them larger).</summary>
    public int MaxBundleBytes { get; init; } = 8 << 20;

    public int MaxTrustedRootBytes { get; init; } = 4 << 20;

    public int MaxJsonDepth { get; init; } = 32;

    /// <summary>Certificates in a bundle's x509CertificateChain or a trusted root chain.</summary>
    public int MaxChainLength { get; init; } = 10;

    public int MaxCertificateBytes { get; init; } = 64 * 1024;

    public int MaxTlogEntries { get; init; } = 32;

    public int MaxTimestamps { get; init; } = 32;

    public int MaxTimestampBytes { get; init; } = 64 * 1024;

    /// <summary>Hashes in an inclusion proof (a tree of 2^64 leaves needs 64).</summary>
    public int MaxInclusionProofHashes { get; init; } = 64;

    public int MaxCheckpointBytes { get; init; } = 16 * 1024;

    public int MaxCheckpointSignatures { get; init; } = 64;

    public int MaxCanonicalizedBodyBytes { get; init; } = 4 << 20;

    public int MaxDssePayloadBytes { get; init; } = 4 << 20;

    public int MaxTrustedRootEntries { get; init; } = 256;

    public int MaxSctsPerCertificate { get; init; } = 64;
}
