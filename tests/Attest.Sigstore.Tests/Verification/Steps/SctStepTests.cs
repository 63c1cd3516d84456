namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>SctStep: the leaf's embedded SCTs are signed by a trusted CT log.</summary>
public sealed class SctStepTests
{
    [Theory]
    [InlineData("invalid-ct-key_fail", SigstoreCodes.SctInvalid)]
    public void Conformance_case_is_rejected_by_SctStep(string name, string code) => StepAssert.ConformanceCaseIsRejectedWith(name, code);
}
