namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>InclusionProofStep: the inclusion proof leads to the root of a checkpoint the log signed, under its origin.</summary>
public sealed class InclusionProofStepTests
{
    [Theory]
    [InlineData("checkpoint-bad-keyhint_fail", SigstoreCodes.TlogCheckpointSignature)]
    [InlineData("checkpoint-wrong-roothash_fail", SigstoreCodes.TlogInclusionRootMismatch)]
    [InlineData("inclusion-proof-corrupted-hash_fail", SigstoreCodes.TlogInclusionInvalid)]
    [InlineData("intoto-missing-inclusion-proof_fail", SigstoreCodes.TlogInclusionMissing)]
    [InlineData("invalid-checkpoint-signature_fail", SigstoreCodes.TlogCheckpointSignature)]
    [InlineData("rekor2-checkpoint-missing-origin_fail", SigstoreCodes.TlogCheckpointMalformed)]
    [InlineData("rekor2-checkpoint-missing-size_fail", SigstoreCodes.TlogCheckpointMalformed)]
    [InlineData("rekor2-checkpoint-missing-root-hash_fail", SigstoreCodes.TlogCheckpointMalformed)]
    [InlineData("rekor2-checkpoint-missing-log-signature_fail", SigstoreCodes.TlogCheckpointMalformed)]
    [InlineData("rekor2-checkpoint-no-matching-signature_fail", SigstoreCodes.TlogCheckpointOrigin)]
    [InlineData("rekor2-no-inclusion-proof_fail", SigstoreCodes.TlogInclusionMissing)]
    public void Conformance_case_is_rejected_by_InclusionProofStep(string name, string code) => StepAssert.ConformanceCaseIsRejectedWith(name, code);
}
