using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Notation.Envelopes;
using Attest.Notation.Signing;

namespace Attest.Notation.Tests;

/// <summary>
/// notation-core-go's conformance files (signature/{jws,cose}/testdata/conformance.json), checked the way its
/// conformance_test.go checks them: the envelope Attest encodes from the same signed attributes is byte-identical,
/// and reading the conformance envelope gives those attributes back. The conformance keys are generated at random by
/// the Go tests, so the conformance signatures themselves cannot be verified; signatures are verified in the other tests.
/// </summary>
public sealed class ConformanceTests
{
    private static readonly DateTimeOffset JwsSigningTime = new(2022, 8, 29, 13, 50, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset JwsExpiry = new DateTimeOffset(2099, 8, 29, 13, 50, 0, TimeSpan.Zero).AddHours(24);

    private static readonly SignedAttribute[] JwsExtended =
    [
        new("signedCritKey1", "signedCritValue1", true), new("signedKey1", "signedValue1", false), new("signedKey2", "signedValue1", false),
        new("signedKey3", "signedValue1", false), new("signedKey4", "signedValue1", false),
    ];

    [Fact]
    public void Jws_conformance_protected_header_and_payload_are_encoded_byte_for_byte()
    {
        var vector = JsonNode.Parse(NotationVectors.Read("notation-core-go", "signature", "jws", "testdata", "conformance.json"))!;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = JwsRequest(key);

        var envelope = JsonNode.Parse(NotationSigner.SignJws(request))!;

        Assert.Equal(vector["payload"]!.GetValue<string>(), envelope["payload"]!.GetValue<string>());
        Assert.Equal(vector["protected"]!.GetValue<string>(), envelope["protected"]!.GetValue<string>());
        Assert.Equal(vector["header"]!["io.cncf.notary.signingAgent"]!.GetValue<string>(), envelope["header"]!["io.cncf.notary.signingAgent"]!.GetValue<string>());
    }

    [Fact]
    public void Jws_conformance_envelope_reads_back_every_signed_and_unsigned_attribute()
    {
        var vector = JsonNode.Parse(NotationVectors.Read("notation-core-go", "signature", "jws", "testdata", "conformance.json"))!.AsObject();
        // The conformance file omits the chain (its key is random); the reader requires one, so add any certificate.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        vector["header"]!["x5c"] = new JsonArray(Convert.ToBase64String(SelfSigned(key).RawData));

        Assert.True(JwsEnvelope.TryParse(Encoding.UTF8.GetBytes(vector.ToJsonString()), out var envelope, out var failure), failure?.Message);

        Assert.Equal(NotationAlgorithm.EcdsaSha256, envelope.Algorithm);
        Assert.Equal(NotationMediaTypes.Payload, envelope.ContentType);
        Assert.Equal(SigningScheme.X509, envelope.Scheme);
        Assert.Equal(JwsSigningTime, envelope.SigningTime);
        Assert.Equal(JwsExpiry, envelope.Expiry);
        Assert.Null(envelope.AuthenticSigningTime);
        Assert.Equal("NotationConformanceTest/1.0.0", envelope.SigningAgent);
        Assert.Equal("{\"key\":\"hello JWS\"}", Encoding.UTF8.GetString(envelope.Payload));
        Assert.Equal(JwsExtended.Select(a => (a.Key, JsonSerializer.Serialize(a.Value), a.Critical)).OrderBy(a => a.Key),
            envelope.ExtendedAttributes.Select(a => (a.Key, a.Value, a.Critical)).OrderBy(a => a.Key));
    }

    [Fact]
    public void Jws_envelope_signed_with_the_conformance_attributes_verifies_and_reads_back()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var bytes = NotationSigner.SignJws(JwsRequest(key));

        Assert.True(JwsEnvelope.TryParse(bytes, out var envelope, out var failure), failure?.Message);
        Assert.True(NotationAlgorithms.Verify(X509CertificateLoader.LoadCertificate(envelope.CertificateChain[0]), envelope.Algorithm, envelope.SignedBytes, envelope.Signature));
        Assert.Equal(JwsExpiry, envelope.Expiry);
        Assert.Contains(envelope.ExtendedAttributes, a => a is { Key: "signedCritKey1", Critical: true });
    }

    [Fact]
    public void Cose_conformance_message_is_encoded_byte_for_byte()
    {
        var vector = CoseVector();
        var request = CoseRequest(out var key);
        using (key)
        {
            var protectedBytes = NotationSigner.CoseProtectedHeader(request, NotationAlgorithm.RsaPssSha384);
            Assert.Equal(Convert.ToHexString(vector.ProtectedHeaders), Convert.ToHexString(protectedBytes));

            // The Go test re-encodes with the fixed signature and only the signing agent unprotected.
            var message = NotationSigner.AssembleCose(protectedBytes, null, request.SigningAgent, null, request.Payload, vector.Signature);
            Assert.Equal(Convert.ToHexString(vector.ExpectedOutput), Convert.ToHexString(message));
        }
    }

    [Fact]
    public void Cose_conformance_message_reads_back_every_signed_and_unsigned_attribute()
    {
        var vector = CoseVector();
        using var key = RSA.Create(3072);
        var chain = new[] { SelfSigned(key).RawData };
        // The conformance message carries no x5chain (its key is random): re-assemble it with one, protected bytes unchanged.
        var message = NotationSigner.AssembleCose(vector.ProtectedHeaders, chain, "NotationConformanceTest/1.0.0", null, Encoding.ASCII.GetBytes("hello COSE"), vector.Signature);

        Assert.True(CoseEnvelope.TryParse(message, out var envelope, out var failure), failure?.Message);

        Assert.Equal(NotationAlgorithm.RsaPssSha384, envelope.Algorithm);
        Assert.Equal(NotationMediaTypes.Payload, envelope.ContentType);
        Assert.Equal(SigningScheme.X509, envelope.Scheme);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1661321924), envelope.SigningTime);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1661408324), envelope.Expiry);
        Assert.Equal("NotationConformanceTest/1.0.0", envelope.SigningAgent);
        Assert.Equal("hello COSE", Encoding.ASCII.GetString(envelope.Payload));
        Assert.Equal(
            [("signedCritKey1", "\"signedCritValue1\"", true), ("signedKey1", "\"signedValue1\"", false)],
            envelope.ExtendedAttributes.Select(a => (a.Key, a.Value, a.Critical)).OrderBy(a => a.Key).ToArray());
        Assert.Equal(chain[0], envelope.CertificateChain[0]);
    }

    [Fact]
    public void Cose_envelope_signed_with_the_conformance_attributes_verifies()
    {
        var request = CoseRequest(out var key);
        using (key)
        {
            var bytes = NotationSigner.SignCose(request with { CertificateChain = [SelfSigned(key)] });
            Assert.True(CoseEnvelope.TryParse(bytes, out var envelope, out var failure), failure?.Message);
            Assert.True(NotationAlgorithms.Verify(X509CertificateLoader.LoadCertificate(envelope.CertificateChain[0]), envelope.Algorithm, envelope.SignedBytes, envelope.Signature));
        }
    }

    private static NotationSignRequest JwsRequest(ECDsa key) => new()
    {
        Payload = Encoding.UTF8.GetBytes("{\"key\":\"hello JWS\"}"),
        CertificateChain = [SelfSigned(key)],
        Key = key,
        SigningTime = JwsSigningTime,
        Expiry = JwsExpiry,
        ExtendedAttributes = JwsExtended,
        SigningAgent = "NotationConformanceTest/1.0.0",
    };

    private static NotationSignRequest CoseRequest(out RSA key)
    {
        key = RSA.Create(3072);
        return new NotationSignRequest
        {
            Payload = Encoding.ASCII.GetBytes("hello COSE"),
            CertificateChain = [SelfSigned(key)],
            Key = key,
            SigningTime = DateTimeOffset.FromUnixTimeSeconds(1661321924),
            Expiry = DateTimeOffset.FromUnixTimeSeconds(1661408324),
            ExtendedAttributes = [new("signedCritKey1", "signedCritValue1", true), new("signedKey1", "signedValue1", false)],
            SigningAgent = "NotationConformanceTest/1.0.0",
        };
    }

    private sealed record CoseConformance(byte[] ProtectedHeaders, byte[] ExpectedOutput, byte[] Signature);

    private static CoseConformance CoseVector()
    {
        var vector = JsonNode.Parse(NotationVectors.Read("notation-core-go", "signature", "cose", "testdata", "conformance.json"))!;
        var expected = Convert.FromHexString(vector["expectedOutput"]!["cborHex"]!.GetValue<string>());
        // The signature is the last byte string of the message (the diagnostic notation shows it): 0x59 0x0180 + 384 bytes.
        var signature = expected[^384..];
        return new CoseConformance(Convert.FromHexString(vector["protectedHeaders"]!["cborHex"]!.GetValue<string>()), expected, signature);
    }

    private static X509Certificate2 SelfSigned(AsymmetricAlgorithm key)
    {
        var request = key switch
        {
            ECDsa ec => new CertificateRequest("CN=conformance", ec, HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest("CN=conformance", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("key"),
        };
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }
}
