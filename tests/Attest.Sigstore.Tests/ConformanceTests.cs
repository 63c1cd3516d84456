namespace Attest.Sigstore.Tests;

/// <summary>Every sigstore-conformance bundle-verification case, with the artifact file and with its digest, as the real harness runs them.</summary>
public class ConformanceTests
{
    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var @case in SigstoreVectors.ConformanceCases())
        {
            data.Add(@case.Name, false);
            data.Add(@case.Name, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Verify_matches_the_conformance_expectation(string name, bool digestMode)
    {
        var @case = SigstoreVectors.Case(name);
        var result = SigstoreVectors.Verify(@case, digestMode);
        if (@case.ShouldPass)
            Assert.True(result.Verified, $"{name} ({(digestMode ? "digest" : "file")}) was rejected: {result.Failure}");
        else
            Assert.False(result.Verified, $"{name} ({(digestMode ? "digest" : "file")}) was accepted");
    }

    [Fact]
    public void The_copy_holds_all_70_cases_49_of_them_negative()
    {
        var cases = SigstoreVectors.ConformanceCases().ToList();
        Assert.Equal(70, cases.Count);
        Assert.Equal(49, cases.Count(c => !c.ShouldPass));
    }

    // Negative cases must fail for the reason their README gives, not by accident. Those rejected before any
    // verification step (the bundle or the trusted root cannot be read) are here; the others are in
    // Verification/Steps/, one file per step.
    [Theory]
    [InlineData("bundle-empty-certificate-chain_fail", SigstoreCodes.BundleCertificateChain)]
    [InlineData("bundle-invalid-base64-signature_fail", SigstoreCodes.BundleBase64)]
    [InlineData("bundle-malformed-json_fail", SigstoreCodes.BundleMalformed)]
    [InlineData("bundle-negative-log-index_fail", SigstoreCodes.BundleTlogEntry)]
    [InlineData("bundle-unknown-version_fail", SigstoreCodes.BundleMediaType)]
    [InlineData("trust-root-tlog-missing-validity-start_fail", SigstoreCodes.TrustRootValidity)]
    public void Negative_case_is_rejected_with_its_reason_code(string name, string code)
    {
        var result = SigstoreVectors.Verify(SigstoreVectors.Case(name), digestMode: false);
        Assert.False(result.Verified);
        Assert.Equal(code, result.Failure!.Code);
        Assert.False(string.IsNullOrWhiteSpace(result.Failure.Message));
    }
}
