namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>A conformance case rejected by the step under test, with that step's reason code and a sentence.</summary>
internal static class StepAssert
{
    public static void ConformanceCaseIsRejectedWith(string name, string code)
    {
        var result = SigstoreVectors.Verify(SigstoreVectors.Case(name), digestMode: false);
        Assert.False(result.Verified, $"{name} was accepted");
        Assert.Equal(code, result.Failure!.Code);
        Assert.False(string.IsNullOrWhiteSpace(result.Failure.Message));
    }
}
