namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>SignedEntryTimestampStep: Rekor v1's inclusion promise, the log's signature over the canonical entry.</summary>
public sealed class SignedEntryTimestampStepTests
{
    [Theory]
    [InlineData("set-invalid-signature_fail", SigstoreCodes.TlogSetInvalid)]
    public void Conformance_case_is_rejected_by_SignedEntryTimestampStep(string name, string code) => StepAssert.ConformanceCaseIsRejectedWith(name, code);
}
