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

    // Negative cases must fail for the reason their README gives, not by accident.
    [Theory]
    [InlineData("bundle-empty-certificate-chain_fail", SigstoreCodes.BundleCertificateChain)]
    [InlineData("bundle-from-wrong-instance_fail", SigstoreCodes.TlogUnknownLog)]
    [InlineData("bundle-invalid-base64-signature_fail", SigstoreCodes.BundleBase64)]
    [InlineData("bundle-malformed-json_fail", SigstoreCodes.BundleMalformed)]
    [InlineData("bundle-negative-log-index_fail", SigstoreCodes.BundleTlogEntry)]
    [InlineData("bundle-unknown-version_fail", SigstoreCodes.BundleMediaType)]
    [InlineData("bundle-with-root-cert_fail", SigstoreCodes.BundleCertificateChain)]
    [InlineData("checkpoint-bad-keyhint_fail", SigstoreCodes.TlogCheckpointSignature)]
    [InlineData("checkpoint-wrong-roothash_fail", SigstoreCodes.TlogInclusionRootMismatch)]
    [InlineData("inclusion-proof-corrupted-hash_fail", SigstoreCodes.TlogInclusionInvalid)]
    [InlineData("incorrect-public-key_fail", SigstoreCodes.TlogBodyKeyMismatch)]
    [InlineData("integrated-time-in-future_fail", SigstoreCodes.TlogIntegratedTimeOutsideCertificate)]
    [InlineData("intoto-missing-inclusion-proof_fail", SigstoreCodes.TlogInclusionMissing)]
    [InlineData("intoto-set-outside-signing-cert-validity_fail", SigstoreCodes.TlogIntegratedTimeOutsideCertificate)]
    [InlineData("intoto-tsa-timestamp-outside-cert-validity_fail", SigstoreCodes.CertificateChain)]
    [InlineData("invalid-checkpoint-signature_fail", SigstoreCodes.TlogCheckpointSignature)]
    [InlineData("invalid-ct-key_fail", SigstoreCodes.SctInvalid)]
    [InlineData("managed-key-no-key_fail", SigstoreCodes.KeyRequired)]
    [InlineData("message-digest-mismatch_fail", SigstoreCodes.TlogBodyDigestMismatch)]
    [InlineData("rekor2-checkpoint-missing-origin_fail", SigstoreCodes.TlogCheckpointMalformed)]
    [InlineData("rekor2-checkpoint-missing-size_fail", SigstoreCodes.TlogCheckpointMalformed)]
    [InlineData("rekor2-checkpoint-missing-root-hash_fail", SigstoreCodes.TlogCheckpointMalformed)]
    [InlineData("rekor2-checkpoint-missing-log-signature_fail", SigstoreCodes.TlogCheckpointMalformed)]
    [InlineData("rekor2-checkpoint-no-matching-signature_fail", SigstoreCodes.TlogCheckpointOrigin)]
    [InlineData("rekor2-no-inclusion-proof_fail", SigstoreCodes.TlogInclusionMissing)]
    [InlineData("rekor2-no-timestamp_fail", SigstoreCodes.TimestampThreshold)]
    [InlineData("rekor2-timestamp-outside-trust-root-tsa-validity_fail", SigstoreCodes.TimestampOutsideValidity)]
    [InlineData("rekor2-timestamp-payload-mismatch_fail", SigstoreCodes.TimestampImprintMismatch)]
    [InlineData("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail", SigstoreCodes.TimestampUntrusted)]
    [InlineData("rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail", SigstoreCodes.TimestampUntrusted)]
    [InlineData("rekor2-timestamp-with-incorrect-time_fail", SigstoreCodes.CertificateChain)]
    [InlineData("set-invalid-signature_fail", SigstoreCodes.TlogSetInvalid)]
    [InlineData("trust-root-tlog-missing-validity-start_fail", SigstoreCodes.TrustRootValidity)]
    [InlineData("wrong-material_fail", SigstoreCodes.SignatureDigestMismatch)]
    [InlineData("dsse-mismatch-sig_fail", SigstoreCodes.TlogBodySignatureMismatch)]
    [InlineData("intoto-log-entry-mismatch_fail", SigstoreCodes.TlogBodySignatureMismatch)]
    public void Negative_case_is_rejected_with_its_reason_code(string name, string code)
    {
        var result = SigstoreVectors.Verify(SigstoreVectors.Case(name), digestMode: false);
        Assert.False(result.Verified);
        Assert.Equal(code, result.Failure!.Code);
        Assert.False(string.IsNullOrWhiteSpace(result.Failure.Message));
    }
}
