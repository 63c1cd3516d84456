namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>TlogEntryBodyStep: each transparency-log entry is from a trusted log and records exactly this bundle (kind, key or certificate, digest, signature).</summary>
public sealed class TlogEntryBodyStepTests
{
    [Theory]
    [InlineData("bundle-from-wrong-instance_fail", SigstoreCodes.TlogUnknownLog)]
    [InlineData("incorrect-public-key_fail", SigstoreCodes.TlogBodyKeyMismatch)]
    [InlineData("message-digest-mismatch_fail", SigstoreCodes.TlogBodyDigestMismatch)]
    [InlineData("dsse-mismatch-sig_fail", SigstoreCodes.TlogBodySignatureMismatch)]
    [InlineData("intoto-log-entry-mismatch_fail", SigstoreCodes.TlogBodySignatureMismatch)]
    public void Conformance_case_is_rejected_by_TlogEntryBodyStep(string name, string code) => StepAssert.ConformanceCaseIsRejectedWith(name, code);
}
