namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>SigningMaterialStep: which key signed, and whether that kind of material is what the policy asks for; certificates after the leaf must belong to a trusted CA.</summary>
public sealed class SigningMaterialStepTests
{
    [Theory]
    [InlineData("managed-key-no-key_fail", SigstoreCodes.KeyRequired)]
    [InlineData("bundle-with-root-cert_fail", SigstoreCodes.BundleCertificateChain)]
    public void Conformance_case_is_rejected_by_SigningMaterialStep(string name, string code) => StepAssert.ConformanceCaseIsRejectedWith(name, code);
}
