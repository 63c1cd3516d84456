using Attest.Core;
using Attest.Core.InToto;
using Attest.Policy.Model;
using Attest.Sigstore.Verification;

namespace Attest.Policy.Evaluation;

/// <summary>What a piece of evidence proved once it verified against an authority: who signed the image, and the
/// in-toto statement when it was an attestation.</summary>
public sealed record VerifiedEvidence(string Authority, string Source, Statement? Statement, byte[]? StatementBytes)
{
    /// <summary>cosign's predicate for a plain image signature in the bundle format.</summary>
    public const string CosignSignaturePredicate = "https://sigstore.dev/cosign/sign/v1";

    /// <summary>A message signature over the image digest, or a cosign signature statement, counts as a signature.</summary>
    public bool IsSignature => Statement is null || Statement.PredicateType == CosignSignaturePredicate;
}

/// <summary>
/// Verifies one kind of evidence against the authorities of the kinds it knows (Sigstore bundles and cosign's legacy
/// layers against key and keyless authorities; Notary signatures against Notation authorities and their trust stores).
/// </summary>
public interface IEvidenceVerifier
{
    /// <summary>Whether this verifier knows both the kind of <paramref name="authority"/> and of <paramref name="evidence"/>.</summary>
    bool Handles(Authority authority, FoundEvidence evidence);

    /// <summary>A cheap test, without cryptography, of whether <paramref name="authority"/> could have produced
    /// <paramref name="evidence"/> (its kind of signing material, its certificate identity). False means verification
    /// would certainly fail; true means nothing yet.</summary>
    bool CouldBeFrom(Authority authority, FoundEvidence evidence);

    /// <summary>Full verification with <paramref name="subject"/> (the image or platform digest) as the artifact.</summary>
    VerificationResult Verify(Authority authority, FoundEvidence evidence, Digest subject);
}

/// <summary>
/// Verifies evidence against policy authorities through the <see cref="IEvidenceVerifier"/> that handles the pair.
/// Evidence no verifier handles for an authority does not count for it.
/// </summary>
public sealed class AuthorityVerifier
{
    private readonly IReadOnlyList<IEvidenceVerifier> _verifiers;

    /// <summary>The Sigstore and Notary verifiers, then <paramref name="others"/> (new kinds of evidence and authority).</summary>
    public AuthorityVerifier(TimeProvider time, params IEnumerable<IEvidenceVerifier> others) =>
        _verifiers = [new SigstoreEvidenceVerifier(time), new NotaryEvidenceVerifier(time), .. others];

    public bool CouldBeFrom(Authority authority, FoundEvidence evidence) =>
        VerifierFor(authority, evidence)?.CouldBeFrom(authority, evidence) ?? false;

    public VerificationResult Verify(Authority authority, FoundEvidence evidence, Digest subject)
    {
        using var activity = EvaluationTelemetry.Source.StartActivity("evidence.verify");
        activity?.SetTag("attest.authority", authority.Name);
        var result = VerifierFor(authority, evidence) is { } verifier
            ? verifier.Verify(authority, evidence, subject)
            : VerificationResult.Fail(new Finding(AdmissionCodes.SignatureOtherSigner,
                $"{evidence.Source} is not a kind of evidence authority '{authority.Name}' can verify"));
        EvaluationTelemetry.Verified(result.Failure?.Code);
        if (result.Failure is { } failure) activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, failure.Code);
        return result;
    }

    private IEvidenceVerifier? VerifierFor(Authority authority, FoundEvidence evidence)
    {
        foreach (var verifier in _verifiers)
            if (verifier.Handles(authority, evidence)) return verifier;
        return null;
    }
}
