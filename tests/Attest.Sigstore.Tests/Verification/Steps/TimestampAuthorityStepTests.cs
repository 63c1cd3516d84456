namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>TimestampAuthorityStep: RFC 3161 timestamps over the signature, each chained to a trusted TSA valid at its genTime.</summary>
public sealed class TimestampAuthorityStepTests
{
    [Theory]
    [InlineData("rekor2-timestamp-outside-trust-root-tsa-validity_fail", SigstoreCodes.TimestampOutsideValidity)]
    [InlineData("rekor2-timestamp-payload-mismatch_fail", SigstoreCodes.TimestampImprintMismatch)]
    [InlineData("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail", SigstoreCodes.TimestampUntrusted)]
    [InlineData("rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail", SigstoreCodes.TimestampUntrusted)]
    public void Conformance_case_is_rejected_by_TimestampAuthorityStep(string name, string code) => StepAssert.ConformanceCaseIsRejectedWith(name, code);
}
