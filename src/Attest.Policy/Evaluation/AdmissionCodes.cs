namespace Attest.Policy.Evaluation;

/// <summary>Stable reason codes of admission decisions (verification failures keep the Sigstore, SBOM or registry
/// code of their cause in the evidence).</summary>
public static class AdmissionCodes
{
    public const string ReferenceInvalid = "image.reference.invalid";
    public const string NotPinned = "image.not-pinned";
    public const string NoPolicy = "policy.none";
    public const string WorkloadUnreadable = "workload.unreadable";
    public const string RegistryFailure = "registry.failure";
    public const string SignatureNone = "signature.none";
    public const string SignatureUntrusted = "signature.untrusted";
    public const string SignatureThreshold = "signature.threshold";
    public const string AttestationMissing = "attestation.missing";
    public const string AttestationUntrusted = "attestation.untrusted";
    public const string AttestationCondition = "attestation.condition-failed";
    public const string AttestationSbom = "attestation.sbom";
    public const string ConditionTimeout = "attestation.condition-timeout";
    public const string SignatureOtherSigner = "signature.other-signer";

    /// <summary>A CEL condition was stopped by its cost limit (the expression is too expensive, not false).</summary>
    public const string AttestationCelCost = "attestation.cel-cost";
    public const string EvidenceTooMuch = "evidence.too-much";
    public const string EvidenceUnexamined = "evidence.unexamined";
    public const string EvidenceListingTruncated = "evidence.listing-truncated";
    public const string EvidenceSubjectMismatch = "evidence.subject-mismatch";
    public const string EvaluationDeadline = "evaluation.deadline";
    public const string PlatformNotIndex = "platform.not-index";
    public const string PlatformMissing = "platform.missing";
    public const string PlatformUnsigned = "platform.unsigned";
}
