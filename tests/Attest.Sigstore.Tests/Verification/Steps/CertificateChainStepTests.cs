namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>CertificateChainStep: the Fulcio path is valid at every verified time, with the code-signing EKU.</summary>
public sealed class CertificateChainStepTests
{
    [Theory]
    [InlineData("integrated-time-in-future_fail", SigstoreCodes.TlogIntegratedTimeOutsideCertificate)]
    [InlineData("intoto-set-outside-signing-cert-validity_fail", SigstoreCodes.TlogIntegratedTimeOutsideCertificate)]
    [InlineData("intoto-tsa-timestamp-outside-cert-validity_fail", SigstoreCodes.CertificateChain)]
    [InlineData("rekor2-timestamp-with-incorrect-time_fail", SigstoreCodes.CertificateChain)]
    public void Conformance_case_is_rejected_by_CertificateChainStep(string name, string code) => StepAssert.ConformanceCaseIsRejectedWith(name, code);
}
