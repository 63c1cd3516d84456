using System.Text;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Notation.Envelopes;
using Attest.Notation.Trust;
using Attest.Notation.Verification;

namespace Attest.Notation.Tests;

/// <summary>notation-go's envelopes with real RFC 3161 countersignatures (GlobalSign TSA) and broken tokens
/// (verifier/testdata/timestamp), with the outcomes its timestamp_test.go expects.</summary>
public sealed class TimestampVectorTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static byte[] Envelope(string file) => NotationVectors.Read("notation-go", "verifier", "testdata", "timestamp", "sigEnv", file);

    private static byte[] Token(string file) => NotationVectors.Read("notation-go", "verifier", "testdata", "timestamp", "countersignature", file);

    /// <summary>The envelope's own chain as the ca store (these envelopes are self-signed), plus the named TSA store.</summary>
    private static NotationTrustPolicy Policy(string mediaType, byte[] envelope, string? tsaStore = "test-timestamp", TimestampVerification when = TimestampVerification.Always)
    {
        Assert.True(NotationEnvelope.TryParse(mediaType, envelope, out var parsed, out var failure), failure?.Message);
        var store = tsaStore is null ? new TrustStore() : NotationVectors.Store((TrustStoreType.TimestampAuthority, tsaStore));
        foreach (var certificate in parsed.CertificateChain)
            store.Add(TrustStoreType.CertificateAuthority, System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate));
        return new NotationTrustPolicy(store, NotationVectors.AnyIdentity, VerificationLevel.Strict, when);
    }

    private static ExpectedArtifact Target(string mediaType, byte[] envelope)
    {
        Assert.True(NotationEnvelope.TryParse(mediaType, envelope, out var parsed, out _));
        Assert.True(NotationPayload.TryParse(parsed.Payload, out var target, out _));
        return new ExpectedArtifact(target.Digest, target.MediaType, target.Size);
    }

    private static NotationResult Verify(string file, string mediaType, string? tsaStore = "test-timestamp", TimestampVerification when = TimestampVerification.Always)
    {
        var bytes = Envelope(file);
        return NotationVerifier.Verify(mediaType, bytes, Target(mediaType, bytes), Policy(mediaType, bytes, tsaStore, when), Now);
    }

    [Theory]
    [InlineData("jwsWithTimestamp.sig", NotationMediaTypes.Jws)]
    [InlineData("coseWithTimestamp.sig", NotationMediaTypes.Cose)]
    public void Timestamped_signature_verifies_with_the_tsa_trust_store(string file, string mediaType)
    {
        var result = Verify(file, mediaType);
        Assert.True(result.Verified, result.Failure?.ToString());
    }

    [Theory]
    [InlineData("jwsExpiredWithTimestamp.sig", NotationMediaTypes.Jws)]
    [InlineData("coseExpiredWithTimestamp.sig", NotationMediaTypes.Cose)]
    public void Expired_signing_certificate_is_saved_by_a_timestamp_inside_its_validity(string file, string mediaType)
    {
        Assert.True(Verify(file, mediaType).Verified);
        Assert.True(Verify(file, mediaType, when: TimestampVerification.AfterCertExpiry).Verified);
        // Without a TSA store nothing vouches for the signing time: the expired chain fails.
        Assert.Equal(NotationCodes.CertificateExpired, Verify(file, mediaType, tsaStore: null).Failure!.Code);
    }

    [Fact]
    public void Timestamp_before_the_signing_certificate_notBefore_is_refused()
    {
        var result = Verify("timestampBeforeNotBefore.sig", NotationMediaTypes.Jws);
        Assert.Equal(NotationCodes.CertificateExpired, result.Failure!.Code);
    }

    [Fact]
    public void Timestamp_after_the_signing_certificate_notAfter_is_refused()
    {
        // Its signing time (and so its timestamp) is after the certificate's notAfter: the chain was not valid then.
        var result = Verify("timestampAfterNotAfter.sig", NotationMediaTypes.Cose);
        Assert.Equal(NotationCodes.CertificateExpired, result.Failure!.Code);
    }

    [Fact]
    public void Missing_countersignature_fails_when_a_tsa_store_is_configured()
    {
        var result = Verify("withoutTimestamp.sig", NotationMediaTypes.Jws);
        Assert.Equal(NotationCodes.TimestampInvalid, result.Failure!.Code);
        Assert.True(Verify("withoutTimestamp.sig", NotationMediaTypes.Jws, tsaStore: null).Verified);
    }

    [Fact]
    public void Timestamp_from_an_untrusted_tsa_is_refused()
    {
        var result = Verify("coseWithTimestamp.sig", NotationMediaTypes.Cose, tsaStore: "test-mismatch");
        Assert.Equal(NotationCodes.TimestampInvalid, result.Failure!.Code);
        Assert.Contains("TSA trust store", result.Failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TimeStampToken.p7s", "message imprint")]
    [InlineData("TimeStampTokenWithoutCertificate.p7s", "")]
    [InlineData("TimeStampTokenWithInvalideContentType.p7s", "not an RFC 3161 TimeStampToken")]
    [InlineData("TimeStampTokenWithInvalidTSTInfo.p7s", "not an RFC 3161 TimeStampToken")]
    public void Foreign_or_broken_token_in_an_envelope_is_refused(string token, string reason)
    {
        // The token is an unsigned header: put one into the envelope without one, as notation-go's test does.
        var envelope = JsonNode.Parse(Envelope("withoutTimestamp.sig"))!;
        envelope["header"]!["io.cncf.notary.timestampSignature"] = Convert.ToBase64String(Token(token));
        var bytes = Encoding.UTF8.GetBytes(envelope.ToJsonString());

        var result = NotationVerifier.Verify(NotationMediaTypes.Jws, bytes, Target(NotationMediaTypes.Jws, bytes), Policy(NotationMediaTypes.Jws, bytes), Now);

        Assert.Equal(NotationCodes.TimestampInvalid, result.Failure!.Code);
        Assert.Contains(reason, result.Failure.Message, StringComparison.Ordinal);
    }
}
