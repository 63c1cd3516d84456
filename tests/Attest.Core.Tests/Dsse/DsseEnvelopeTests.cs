using System.Security.Cryptography;
using System.Text;
using Attest.Core.Crypto;
using Attest.Core.Dsse;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Core.Tests.Dsse;

public class DsseEnvelopeTests
{
    [Fact]
    public void Pae_matches_the_DSSE_specification_example()
    {
        // secure-systems-lab/dsse protocol.md: PAE("http://example.com/HelloWorld", "hello world")
        var pae = Pae.Encode("http://example.com/HelloWorld", "hello world"u8);
        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world", Encoding.UTF8.GetString(pae));
    }

    [Fact]
    public void Pae_counts_bytes_not_characters()
    {
        var pae = Pae.Encode("tÿpe", [0xff, 0x00]);
        Assert.Equal(Encoding.UTF8.GetBytes("DSSEv1 5 tÿpe 2 "), pae[..^2]);
        Assert.Equal(new byte[] { 0xff, 0x00 }, pae[^2..]);
    }

    private static (ECDsa Signer, SignatureVerifier Verifier) NewKey()
    {
        var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(signer.ExportSubjectPublicKeyInfo(), out var key, out _));
        return (signer, SignatureVerifier.ForKey(key));
    }

    private static string Envelope(string payloadType, byte[] payload, params byte[][] signatures) =>
        $"{{\"payloadType\":\"{payloadType}\",\"payload\":\"{Convert.ToBase64String(payload)}\",\"signatures\":[{string.Join(",", signatures.Select(s => $"{{\"keyid\":\"\",\"sig\":\"{Convert.ToBase64String(s)}\"}}"))}]}}";

    [Fact]
    public void Verify_counts_each_verifier_once_and_compares_with_the_threshold()
    {
        var (a, verifierA) = NewKey();
        var (b, verifierB) = NewKey();
        var (_, verifierC) = NewKey();
        var payload = "{\"_type\":\"x\"}"u8.ToArray();
        var pae = Pae.Encode("application/vnd.in-toto+json", payload);
        var json = Envelope("application/vnd.in-toto+json", payload,
            a.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
            a.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
            b.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.True(DsseEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out var envelope, out var error), error);
        Assert.Equal(3, envelope.Signatures.Count);
        Assert.Equal(2, envelope.CountVerified([verifierA, verifierB, verifierC]));
        Assert.True(envelope.Verify([verifierA, verifierB], 2));
        Assert.False(envelope.Verify([verifierA, verifierC], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => envelope.Verify([verifierA], 0));
    }

    [Fact]
    public void Verify_rejects_a_signature_over_another_payload_type()
    {
        var (a, verifier) = NewKey();
        var payload = "p"u8.ToArray();
        var signature = a.SignData(Pae.Encode("type/a", payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        Assert.True(DsseEnvelope.TryParse(Encoding.UTF8.GetBytes(Envelope("type/b", payload, signature)), out var envelope, out _));
        Assert.False(envelope.Verify([verifier], 1));
    }

    [Theory]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"payload\":\"eA==\",\"signatures\":[{\"sig\":\"eA==\"}]}", "payloadType")]
    [InlineData("{\"payloadType\":\"t\",\"payload\":\"!!\",\"signatures\":[{\"sig\":\"eA==\"}]}", "base64")]
    [InlineData("{\"payloadType\":\"t\",\"payload\":\"eA==\",\"signatures\":[]}", "no signatures")]
    [InlineData("{\"payloadType\":\"t\",\"payload\":\"eA==\",\"signatures\":[{\"keyid\":\"k\"}]}", "sig")]
    [InlineData("{\"payloadType\":\"t\",\"payload\":\"eA==\"", "JSON")]
    public void TryParse_rejects_malformed_envelopes_with_a_reason(string json, string reason)
    {
        Assert.False(DsseEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_enforces_size_and_signature_limits()
    {
        var json = Envelope("t", [1], [1], [2], [3]);
        Assert.False(DsseEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error, new DsseLimits(MaxSignatures: 2)));
        Assert.Contains("3 signatures", error, StringComparison.Ordinal);
        Assert.False(DsseEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out _, out error, new DsseLimits(MaxEnvelopeBytes: 10)));
        Assert.Contains("bytes", error, StringComparison.Ordinal);
    }
}
