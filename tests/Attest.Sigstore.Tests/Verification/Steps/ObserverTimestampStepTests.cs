namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>ObserverTimestampStep: enough observers (verified log integration times, TSA genTimes) vouch for the signing time.</summary>
public sealed class ObserverTimestampStepTests
{
    [Theory]
    [InlineData("rekor2-no-timestamp_fail", SigstoreCodes.TimestampThreshold)]
    public void Conformance_case_is_rejected_by_ObserverTimestampStep(string name, string code) => StepAssert.ConformanceCaseIsRejectedWith(name, code);
}
