using Attest.Core;
using Attest.Notation.Verification;
using Attest.Policy.Model;
using Attest.Sigstore.Verification;

namespace Attest.Policy.Evaluation;

/// <summary>
/// Notary Project signatures against Notation authorities, with the authority's trust policy (trust store, trusted
/// identities, verification level, timestamping) as of now, and the subject's descriptor as the artifact the signed
/// payload must name. What the verification level only logs comes back with a verified result, for the decision to
/// show.
/// </summary>
public sealed class NotaryEvidenceVerifier(TimeProvider time) : IEvidenceVerifier
{
    public bool Handles(Authority authority, FoundEvidence evidence) => authority is NotationAuthority && evidence is FoundNotarySignature;

    /// <summary>Nothing cheap rules a Notary signature out: below strict, even an untrusted identity only logs.</summary>
    public bool CouldBeFrom(Authority authority, FoundEvidence evidence) => Handles(authority, evidence);

    public VerificationResult Verify(Authority authority, FoundEvidence evidence, Digest subject)
    {
        if (authority is not NotationAuthority notation || evidence is not FoundNotarySignature signature)
            throw new ArgumentException($"{GetType().Name} verifies Notary signatures against Notation authorities only", nameof(evidence));
        // The collector names the digest it collected for; a signature carried over to another digest never counts.
        if (!signature.Subject.Digest.Equals(subject))
            return VerificationResult.Fail(new Finding(AdmissionCodes.EvidenceSubjectMismatch, $"{signature.Source} was collected for {signature.Subject.Digest}, not {subject}"));
        var result = signature.Parsed.Envelope is { } envelope
            ? NotationVerifier.Verify(envelope, signature.Subject, notation.TrustPolicy, time.GetUtcNow())
            : NotationResult.Fail(signature.Parsed.Failure!);
        if (!result.Verified) return VerificationResult.Fail(result.Failure!);
        return new VerificationResult
        {
            Logged = [.. result.Logged.Select(l => l with { Message = $"verification level {notation.TrustPolicy.Level.Name} only logs: {l.Message}" })],
        };
    }
}
