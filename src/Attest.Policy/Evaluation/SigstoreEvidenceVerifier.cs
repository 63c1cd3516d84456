using System.Collections.Concurrent;
using Attest.Core;
using Attest.Policy.Model;
using Attest.Sigstore.Cosign;
using Attest.Sigstore.Verification;

namespace Attest.Policy.Evaluation;

/// <summary>
/// Sigstore bundles and cosign's legacy signature and attestation layers against key and keyless authorities, with the
/// Sigstore verifier. The artifact is always the subject digest: a message signature must be over it, a DSSE statement
/// must name it. One <see cref="BundleVerifier"/> per trusted root content and transparency-log requirement is kept
/// (parsed trust material and warm key tables are shared; a bundle's own checks never are): keyed by the root's digest,
/// a reload of unchanged roots reuses them, and the cache is bounded however often roots change.
/// </summary>
public sealed class SigstoreEvidenceVerifier(TimeProvider time) : IEvidenceVerifier
{
    /// <summary>Verifiers kept; past this the cache starts over (a few roots are in use at any time).</summary>
    public const int MaxCachedVerifiers = 64;

    private readonly ConcurrentDictionary<(string RootDigest, TransparencyLogRequirement Log), BundleVerifier> _verifiers = new();

    /// <summary>Verifiers currently kept (for tests of the bound).</summary>
    public int CachedVerifiers => _verifiers.Count;

    public bool Handles(Authority authority, FoundEvidence evidence) =>
        authority is KeyAuthority or KeylessAuthority && evidence is FoundBundle or FoundLegacySignature or FoundLegacyAttestation;

    public bool CouldBeFrom(Authority authority, FoundEvidence evidence)
    {
        var signer = evidence.Signer;
        return authority switch
        {
            KeyAuthority => signer.PublicKey,
            KeylessAuthority keyless => !signer.PublicKey &&
                keyless.Identities.Any(identity => signer.Identities.Any(san => identity.Matches(signer.Issuer, san))),
            _ => false,
        };
    }

    public VerificationResult Verify(Authority authority, FoundEvidence evidence, Digest subject) => evidence switch
    {
        FoundBundle { Parsed.Bundle: { } bundle } => VerifierFor(authority).Verify(bundle, Artifact.FromDigest(subject), PolicyFor(authority)),
        FoundBundle found => VerificationResult.Fail(found.Parsed.Failure!),
        FoundLegacySignature legacy => new LegacyCosignVerifier(VerifierFor(authority)).Verify(legacy.Signature, subject, PolicyFor(authority)),
        FoundLegacyAttestation legacy => new LegacyCosignVerifier(VerifierFor(authority)).VerifyAttestation(legacy.Attestation, subject, PolicyFor(authority)),
        _ => throw new ArgumentException($"unsupported evidence {evidence.GetType().Name}", nameof(evidence)),
    };

    private BundleVerifier VerifierFor(Authority authority)
    {
        var key = (authority.TrustedRoot.Digest, authority.TransparencyLog);
        if (_verifiers.TryGetValue(key, out var verifier)) return verifier;
        if (_verifiers.Count >= MaxCachedVerifiers) _verifiers.Clear();
        return _verifiers.GetOrAdd(key, _ => new BundleVerifier(
            authority.TrustedRoot.Root,
            authority.TransparencyLog == TransparencyLogRequirement.Required
                ? VerifierOptions.Default
                : new VerifierOptions { TransparencyLogThreshold = 0, AllowNoTransparencyLogUnsafe = true },
            time));
    }

    private static ArtifactPolicy PolicyFor(Authority authority) => authority switch
    {
        KeyAuthority key => ArtifactPolicy.ForKey(key.Key),
        KeylessAuthority keyless => new ArtifactPolicy { Identities = keyless.Identities.Select(i => i.ToCertificateIdentity()).ToList() },
        _ => throw new ArgumentException($"unsupported authority {authority.GetType().Name}", nameof(authority)),
    };
}
