using System.Collections.Concurrent;
using Attest.Core;
using Attest.Core.InToto;
using Attest.Policy.Model;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Cosign;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Policy.Evaluation;

/// <summary>What a bundle proved once it verified against an authority: who signed the image, and the in-toto
/// statement when it was an attestation (DSSE).</summary>
public sealed record VerifiedEvidence(string Authority, string Source, Statement? Statement, byte[]? StatementBytes)
{
    /// <summary>cosign's predicate for a plain image signature in the bundle format.</summary>
    public const string CosignSignaturePredicate = "https://sigstore.dev/cosign/sign/v1";

    /// <summary>A message signature over the image digest, or a cosign signature statement, counts as a signature.</summary>
    public bool IsSignature => Statement is null || Statement.PredicateType == CosignSignaturePredicate;
}

/// <summary>
/// Verifies bundles against policy authorities with the Sigstore verifier (one verifier per trusted root and
/// transparency-log requirement, built once: parsed trust material is shared, a bundle's own checks never are).
/// The artifact is always the image digest: a message signature must be over it, a DSSE statement must name it.
/// </summary>
public sealed class AuthorityVerifier(TimeProvider time)
{
    private readonly ConcurrentDictionary<(TrustedRoot, TransparencyLogRequirement), BundleVerifier> _verifiers = new();

    public VerificationResult Verify(Authority authority, Bundle bundle, Digest imageDigest) =>
        authority is NotationAuthority
            ? NotSigstore(authority)
            : VerifierFor(authority).Verify(bundle, Artifact.FromDigest(imageDigest), PolicyFor(authority));

    /// <summary>A Notary signature against a Notation authority, as of now.</summary>
    public Notation.Verification.NotationResult VerifyNotation(NotationAuthority authority, FoundNotationSignature signature) =>
        Notation.Verification.NotationVerifier.Verify(signature.MediaType, signature.Envelope, signature.Image, authority.TrustPolicy, time.GetUtcNow());

    private static VerificationResult NotSigstore(Authority authority) =>
        VerificationResult.Fail(new Finding(AdmissionCodes.SignatureUntrusted, $"'{authority.Name}' accepts Notary signatures only, not Sigstore bundles or cosign signatures"));

    /// <summary>A legacy cosign signature (<c>sha256-&lt;hex&gt;.sig</c> layer): the same checks on its equivalent
    /// bundle, plus the simple-signing claim that it names this image digest.</summary>
    public VerificationResult VerifyLegacy(Authority authority, LegacyCosignSignature signature, Digest imageDigest) =>
        authority is NotationAuthority ? NotSigstore(authority) : new LegacyCosignVerifier(VerifierFor(authority)).Verify(signature, imageDigest, PolicyFor(authority));

    /// <summary>A legacy cosign attestation (<c>sha256-&lt;hex&gt;.att</c> layer): its DSSE envelope verified as a
    /// bundle would be, and the image digest a subject of its statement.</summary>
    public VerificationResult VerifyLegacyAttestation(Authority authority, LegacyCosignAttestation attestation, Digest imageDigest) =>
        authority is NotationAuthority ? NotSigstore(authority) : new LegacyCosignVerifier(VerifierFor(authority)).VerifyAttestation(attestation, imageDigest, PolicyFor(authority));

    private BundleVerifier VerifierFor(Authority authority) =>
        _verifiers.GetOrAdd((authority.TrustedRoot, authority.TransparencyLog), key => new BundleVerifier(
            key.Item1,
            key.Item2 == TransparencyLogRequirement.Required
                ? VerifierOptions.Default
                : new VerifierOptions { TransparencyLogThreshold = 0, AllowNoTransparencyLogUnsafe = true },
            time));

    private static ArtifactPolicy PolicyFor(Authority authority) => authority switch
    {
        KeyAuthority key => ArtifactPolicy.ForKey(key.Key),
        KeylessAuthority keyless => new ArtifactPolicy { Identities = keyless.Identities.Select(i => i.ToCertificateIdentity()).ToList() },
        _ => throw new InvalidOperationException($"unknown authority type {authority.GetType().Name}"),
    };
}
