using System.Security.Cryptography;
using System.Text;
using Attest.Core;
using Attest.Core.Crypto;
using Attest.Core.Dsse;
using Attest.Core.Json;
using Attest.Sigstore.Rekor;
using Attest.Sigstore.Signing;

namespace Attest.Sigstore.Tests.Signing;

/// <summary>The bodies the builder logs are canonical and read back by the verifier's parser with the same facts.</summary>
public sealed class RekorEntryBodiesTests
{
    private static readonly string KeyPem;
    private static readonly byte[] Spki;

    static RekorEntryBodiesTests()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Spki = key.ExportSubjectPublicKeyInfo();
        KeyPem = Pem.Encode(Pem.PublicKeyLabel, Spki);
    }

    [Fact]
    public void HashedRekord_body_is_canonical_and_records_digest_signature_and_key()
    {
        var digest = Digest.Sha256("artifact"u8);
        byte[] signature = [1, 2, 3, 4];

        var body = RekorEntryBodies.HashedRekord(digest, signature, KeyPem);

        Assert.Equal(body, CanonicalJson.Canonicalize(body));
        Assert.True(RekorEntryBody.TryParse(body, 32, out var parsed, out var error), error);
        Assert.Equal(("hashedrekord", "0.0.1"), (parsed.Kind, parsed.ApiVersion));
        Assert.Equal("sha256", parsed.Digest!.Value.Algorithm);
        Assert.Equal(digest.Value.ToArray(), parsed.Digest.Value.Value);
        var recorded = Assert.Single(parsed.Signatures);
        Assert.Equal(signature, recorded.Signature);
        Assert.Equal(Spki, recorded.VerifierDer);
        Assert.False(recorded.VerifierIsCertificate);
    }

    [Fact]
    public void Dsse_body_hashes_the_payload_and_the_envelope_as_the_bundle_carries_it()
    {
        var envelope = new DsseEnvelope("application/vnd.in-toto+json", "{\"_type\":\"x\"}"u8.ToArray(), [new DsseSignature([9, 8, 7], null)]);

        var body = RekorEntryBodies.Dsse(envelope, KeyPem);

        Assert.Equal(body, CanonicalJson.Canonicalize(body));
        Assert.True(RekorEntryBody.TryParse(body, 32, out var parsed, out var error), error);
        Assert.Equal(("dsse", "0.0.1"), (parsed.Kind, parsed.ApiVersion));
        Assert.Equal(SHA256.HashData(envelope.Payload), parsed.PayloadHash!.Value.Value);
        var envelopeJson = $$"""{"signatures":[{"sig":"{{Convert.ToBase64String([9, 8, 7])}}"}],"payloadType":"application/vnd.in-toto+json","payload":"{{Convert.ToBase64String(envelope.Payload)}}"}""";
        Assert.Equal(SHA256.HashData(CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(envelopeJson))), parsed.EnvelopeHash!.Value.Value);
        Assert.Equal([9, 8, 7], Assert.Single(parsed.Signatures).Signature);
    }
}
