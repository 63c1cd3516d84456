namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>ArtifactSignatureStep: the signature is over the artifact (or its digest), or over the DSSE PAE with the artifact as a subject.</summary>
public sealed class ArtifactSignatureStepTests
{
    [Theory]
    [InlineData("wrong-material_fail", SigstoreCodes.SignatureDigestMismatch)]
    public void Conformance_case_is_rejected_by_ArtifactSignatureStep(string name, string code) => StepAssert.ConformanceCaseIsRejectedWith(name, code);
}
