using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Attest.Core.Crypto;
using Attest.Core.Dsse;
using Attest.Sigstore.Rekor;
using Attest.Sigstore.Signing;

namespace Attest.Sigstore.Tests.Rekor;

/// <summary>Rekor v2 <c>CreateEntryRequest</c>s read, verified and turned into the v0.0.2 bodies the verifier reads back.</summary>
public sealed class ProposedEntryV2Tests
{
    [Fact]
    public void A_hashedrekord_request_becomes_a_v002_body_with_the_algorithm_its_key_details_imply()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var digest = SHA384.HashData("artifact"u8);
        var request = HashedRekord(digest, key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence), PublicKeyVerifier(key.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P384_SHA_384"));

        Assert.True(ProposedEntry.TryReadV2(Encoding.UTF8.GetBytes(request), out var entry, out var error), error);
        Assert.Equal(("hashedrekord", "0.0.2"), (entry.Kind, entry.ApiVersion));
        Assert.Equal("sha384:" + Convert.ToHexStringLower(digest), entry.ArtifactDigest.ToString());
        var body = JsonNode.Parse(entry.CanonicalBody)!;
        Assert.Equal("SHA2_384", body["spec"]!["hashedRekordV002"]!["data"]!["algorithm"]!.GetValue<string>());
        Assert.True(RekorEntryBody.TryParse(entry.CanonicalBody, 16, out var parsed, out error), error);
        Assert.Equal("sha384", parsed.Digest!.Value.Algorithm);
        Assert.Equal(digest, parsed.Digest.Value.Value);
        Assert.False(parsed.Signatures[0].VerifierIsCertificate);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), parsed.Signatures[0].VerifierDer);
        Assert.True(RekorEntryBody.IsRekorV2(parsed.Kind, parsed.ApiVersion));
    }

    [Fact]
    public void The_proto_field_name_spelling_is_read_like_the_json_name()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var digest = SHA256.HashData("artifact"u8);
        var request = HashedRekord(digest, key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence), PublicKeyVerifier(key.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P256_SHA_256"))
            .Replace("hashedRekordRequestV002", "hashed_rekord_request_v0_0_2", StringComparison.Ordinal);
        Assert.True(ProposedEntry.TryReadV2(Encoding.UTF8.GetBytes(request), out _, out var error), error);
    }

    [Fact]
    public void Ed25519_signs_dsse_but_cannot_sign_a_hashedrekord_digest()
    {
        var seed = Ed25519.GenerateSeed();
        var spki = BundleSigner.ForEd25519(seed).SubjectPublicKeyInfo.ToArray();
        var digest = SHA256.HashData("artifact"u8);
        Assert.False(ProposedEntry.TryReadV2(Encoding.UTF8.GetBytes(HashedRekord(digest, Ed25519.Sign(seed, digest), PublicKeyVerifier(spki, "PKIX_ED25519"))), out _, out var error));
        Assert.Contains("signs messages, not digests", error);

        var payload = "{\"_type\":\"https://in-toto.io/Statement/v1\"}"u8.ToArray();
        var signature = Ed25519.Sign(seed, Pae.Encode("application/vnd.in-toto+json", payload));
        Assert.True(ProposedEntry.TryReadV2(Encoding.UTF8.GetBytes(Dsse(payload, [signature], [PublicKeyVerifier(spki, "PKIX_ED25519")])), out var entry, out error), error);
        Assert.True(RekorEntryBody.TryParse(entry.CanonicalBody, 16, out var parsed, out error), error);
        Assert.Equal(("dsse", "0.0.2"), (parsed.Kind, parsed.ApiVersion));
        Assert.Equal(SHA256.HashData(payload), parsed.PayloadHash!.Value.Value);
        Assert.Equal(signature, parsed.Signatures.Single().Signature);
    }

    [Fact]
    public void Each_dsse_signature_is_recorded_with_the_verifier_it_verified_with_and_one_that_verifies_with_none_is_refused()
    {
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var second = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = "{}"u8.ToArray();
        var pae = Pae.Encode("application/vnd.in-toto+json", payload);
        byte[] Sign(ECDsa key) => key.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        // Verifiers listed in the other order than the signatures.
        var verifiers = new[] { PublicKeyVerifier(second.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P256_SHA_256"), PublicKeyVerifier(first.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P256_SHA_256") };

        Assert.True(ProposedEntry.TryReadV2(Encoding.UTF8.GetBytes(Dsse(payload, [Sign(first), Sign(second)], verifiers)), out var entry, out var error), error);
        Assert.True(RekorEntryBody.TryParse(entry.CanonicalBody, 16, out var parsed, out error), error);
        Assert.Equal(first.ExportSubjectPublicKeyInfo(), parsed.Signatures[0].VerifierDer);
        Assert.Equal(second.ExportSubjectPublicKeyInfo(), parsed.Signatures[1].VerifierDer);

        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.False(ProposedEntry.TryReadV2(Encoding.UTF8.GetBytes(Dsse(payload, [Sign(first), Sign(stranger)], verifiers)), out _, out error));
        Assert.Contains("signature 1 of the envelope does not verify", error);
    }

    [Theory]
    [InlineData("PKIX_RSA_PKCS1V15_3072_SHA256", "does not describe")] // a 2048-bit key
    [InlineData("PKIX_ECDSA_P256_SHA_256", "does not describe")]
    [InlineData("PKIX_RSA_PSS_2048_SHA256", "must name the key type")]
    [InlineData("", "must name the key type")]
    public void Key_details_must_describe_the_key(string keyDetails, string expected)
    {
        using var rsa = RSA.Create(2048);
        var digest = SHA256.HashData("artifact"u8);
        var request = HashedRekord(digest, rsa.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), PublicKeyVerifier(rsa.ExportSubjectPublicKeyInfo(), keyDetails));
        Assert.False(ProposedEntry.TryReadV2(Encoding.UTF8.GetBytes(request), out _, out var error));
        Assert.Contains(expected, error);
        Assert.True(ProposedEntry.TryReadV2(Encoding.UTF8.GetBytes(request.Replace(keyDetails == "" ? "\"keyDetails\":\"\"" : keyDetails,
            keyDetails == "" ? "\"keyDetails\":\"PKIX_RSA_PKCS1V15_2048_SHA256\"" : "PKIX_RSA_PKCS1V15_2048_SHA256", StringComparison.Ordinal)), out _, out error), error);
    }

    private static string HashedRekord(byte[] digest, byte[] signature, JsonObject verifier) => new JsonObject
    {
        ["hashedRekordRequestV002"] = new JsonObject
        {
            ["digest"] = Convert.ToBase64String(digest),
            ["signature"] = new JsonObject { ["content"] = Convert.ToBase64String(signature), ["verifier"] = verifier },
        },
    }.ToJsonString();

    private static string Dsse(byte[] payload, byte[][] signatures, JsonObject[] verifiers) => new JsonObject
    {
        ["dsseRequestV002"] = new JsonObject
        {
            ["envelope"] = new JsonObject
            {
                ["payload"] = Convert.ToBase64String(payload),
                ["payloadType"] = "application/vnd.in-toto+json",
                ["signatures"] = new JsonArray([.. signatures.Select(s => (JsonNode)new JsonObject { ["sig"] = Convert.ToBase64String(s) })]),
            },
            ["verifiers"] = new JsonArray([.. verifiers.Select(v => v.DeepClone())]),
        },
    }.ToJsonString();

    private static JsonObject PublicKeyVerifier(byte[] spki, string keyDetails) => new()
    {
        ["publicKey"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(spki) },
        ["keyDetails"] = keyDetails,
    };
}
