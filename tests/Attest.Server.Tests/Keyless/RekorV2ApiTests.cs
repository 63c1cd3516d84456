using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Testing;

namespace Attest.Server.Tests.Keyless;

/// <summary>Rekor v2's <c>POST /api/v2/log/entries</c> on the ledger: entries logged with an inclusion proof and no SET,
/// deduplicated, and hostile or malformed requests refused with nothing appended.</summary>
public sealed class RekorV2ApiTests(KeylessServerFixture fixture) : IClassFixture<KeylessServerFixture>
{
    [Fact]
    public async Task A_hashedrekord_request_is_logged_with_an_inclusion_proof_and_the_same_request_gets_the_same_entry()
    {
        var (certificatePem, key) = await fixture.IssueCertificateAsync();
        using var owned = key;
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("artifact " + Guid.NewGuid()));
        var request = HashedRekordV2(digest, key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence), CertificateDer(certificatePem), isCertificate: true);
        var before = await fixture.LedgerSizeAsync();

        var (status, entry, _) = await fixture.PostJsonAsync("api/v2/log/entries", request);
        Assert.True(status == HttpStatusCode.OK, entry.ToString());
        Assert.Equal(before + 1, await fixture.LedgerSizeAsync());
        Assert.Equal("hashedrekord", entry.GetProperty("kindVersion").GetProperty("kind").GetString());
        Assert.Equal("0.0.2", entry.GetProperty("kindVersion").GetProperty("version").GetString());
        Assert.False(entry.TryGetProperty("inclusionPromise", out _)); // Rekor v2 promises nothing: the proof is the evidence
        Assert.Equal("0", entry.GetProperty("integratedTime").GetString());
        var logIndex = long.Parse(entry.GetProperty("logIndex").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var proof = entry.GetProperty("inclusionProof");
        Assert.Equal(logIndex.ToString(System.Globalization.CultureInfo.InvariantCulture), proof.GetProperty("logIndex").GetString());
        Assert.StartsWith("attest.local/ledger\n", proof.GetProperty("checkpoint").GetProperty("envelope").GetString());

        // The body is the v0.0.2 log entry rekor-tiles stores: the digest with the algorithm the key details imply.
        var body = JsonNode.Parse(Convert.FromBase64String(entry.GetProperty("canonicalizedBody").GetString()!))!;
        var spec = body["spec"]!["hashedRekordV002"]!;
        Assert.Equal("SHA2_256", spec["data"]!["algorithm"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(digest), spec["data"]!["digest"]!.GetValue<string>());
        Assert.Equal("PKIX_ECDSA_P256_SHA_256", spec["signature"]!["verifier"]!["keyDetails"]!.GetValue<string>());
        var leaf = Attest.Core.Transparency.MerkleHash.Leaf(Convert.FromBase64String(entry.GetProperty("canonicalizedBody").GetString()!));
        Assert.Equal(proof.GetProperty("treeSize").GetString(), Checkpoint(proof).Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(new Attest.Core.Transparency.InclusionProof(logIndex, Checkpoint(proof).Size,
            [.. proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!))]).Verify(leaf, Checkpoint(proof).RootHash).IsValid);

        // Tessera deduplicates: the same request answers the entry already logged.
        var (again, duplicate, _) = await fixture.PostJsonAsync("api/v2/log/entries", request);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(entry.GetProperty("logIndex").GetString(), duplicate.GetProperty("logIndex").GetString());
        Assert.Equal(before + 1, await fixture.LedgerSizeAsync());

        using var checkpoint = await fixture.Server.Client.GetAsync("api/v2/checkpoint");
        Assert.Equal(HttpStatusCode.OK, checkpoint.StatusCode);
        Assert.StartsWith("attest.local/ledger\n", await checkpoint.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_dsse_request_is_logged_with_the_payload_hash_and_each_signature_with_its_verifier()
    {
        var (certificatePem, key) = await fixture.IssueCertificateAsync();
        using var owned = key;
        var payload = Encoding.UTF8.GetBytes("{\"_type\":\"https://in-toto.io/Statement/v1\",\"n\":\"" + Guid.NewGuid() + "\"}");
        var signature = key.SignData(Attest.Core.Dsse.Pae.Encode("application/vnd.in-toto+json", payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var (status, entry, _) = await fixture.PostJsonAsync("api/v2/log/entries", DsseV2(payload, signature, CertificateDer(certificatePem)));
        Assert.True(status == HttpStatusCode.OK, entry.ToString());
        var body = JsonNode.Parse(Convert.FromBase64String(entry.GetProperty("canonicalizedBody").GetString()!))!;
        var spec = body["spec"]!["dsseV002"]!;
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(payload)), spec["payloadHash"]!["digest"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(signature), spec["signatures"]![0]!["content"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(CertificateDer(certificatePem)), spec["signatures"]![0]!["verifier"]!["x509Certificate"]!["rawBytes"]!.GetValue<string>());
    }

    [Fact]
    public async Task Requests_that_do_not_verify_name_unknown_signers_or_are_malformed_are_refused_and_append_nothing()
    {
        var (certificatePem, key) = await fixture.IssueCertificateAsync();
        using var owned = key;
        var certificate = CertificateDer(certificatePem);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("artifact " + Guid.NewGuid()));
        var good = key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var before = await fixture.LedgerSizeAsync();

        var cases = new (string Request, HttpStatusCode Status, string Detail)[]
        {
            (HashedRekordV2(digest, key.SignHash(SHA256.HashData("other"u8), DSASignatureFormat.Rfc3279DerSequence), certificate, true), HttpStatusCode.BadRequest, "does not verify"),
            (HashedRekordV2(digest, good, certificate, true, keyDetails: "PKIX_ECDSA_P384_SHA_384"), HttpStatusCode.BadRequest, "does not describe"),
            (HashedRekordV2(digest, good, certificate, true, keyDetails: "PKIX_ED25519"), HttpStatusCode.BadRequest, "does not describe"),
            (HashedRekordV2(digest[..20], good, certificate, true), HttpStatusCode.BadRequest, "32-byte sha256"),
            (HashedRekordV2(SHA384.HashData(digest), p384.SignHash(SHA384.HashData(digest), DSASignatureFormat.Rfc3279DerSequence), p384.ExportSubjectPublicKeyInfo(), false,
                keyDetails: "PKIX_ECDSA_P384_SHA_384"), HttpStatusCode.Forbidden, "managed or registered keys"),
            (HashedRekordV2(digest, stranger.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence), stranger.ExportSubjectPublicKeyInfo(), false), HttpStatusCode.Forbidden, "managed or registered keys"),
            (DsseV2("{}"u8.ToArray(), key.SignData("nonsense"u8, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence), certificate), HttpStatusCode.BadRequest, "does not verify"),
            ("{}", HttpStatusCode.BadRequest, "hashedRekordRequestV002 or a dsseRequestV002"),
            ("[]", HttpStatusCode.BadRequest, "not a JSON object"),
            ("{\"hashedRekordRequestV002\":{},\"dsseRequestV002\":{}}", HttpStatusCode.BadRequest, "both"),
            ("{\"hashedRekordRequestV002\":{\"digest\":\"AAAA\",\"signature\":{\"content\":\"AAAA\",\"verifier\":{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\"}}}}", HttpStatusCode.BadRequest, "exactly one of"),
            ("{\"dsseRequestV002\":{\"envelope\":{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[]},\"verifiers\":[]}}", HttpStatusCode.BadRequest, "envelope"),
            (new string('[', 10_000), HttpStatusCode.BadRequest, "not valid JSON"),
        };
        foreach (var (request, expected, detail) in cases)
        {
            var (status, body, _) = await fixture.PostJsonAsync("api/v2/log/entries", request);
            Assert.True(status == expected, $"{expected} expected, got {status} for {request[..Math.Min(request.Length, 120)]}: {body}");
            Assert.Contains(detail, body.GetProperty("detail").GetString());
            Assert.Equal((int)expected, body.GetProperty("code").GetInt32());
        }
        var (tooLarge, _, _) = await fixture.PostJsonAsync("api/v2/log/entries", "{\"x\":\"" + new string('a', 5 * 1024 * 1024) + "\"}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge);
        Assert.Equal(before, await fixture.LedgerSizeAsync());
    }

    private static byte[] CertificateDer(string pem)
    {
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem);
        return certificate.RawData;
    }

    private static Attest.Core.Transparency.Checkpoint Checkpoint(JsonElement proof)
    {
        var note = Attest.Core.Transparency.SignedNote.TryParse(Encoding.UTF8.GetBytes(proof.GetProperty("checkpoint").GetProperty("envelope").GetString()!), out var parsed, out var error)
            ? parsed : throw new InvalidOperationException(error!.Message);
        return Attest.Core.Transparency.Checkpoint.TryParse(note.Text, out var checkpoint, out var checkpointError) ? checkpoint : throw new InvalidOperationException(checkpointError!.Message);
    }

    private static string HashedRekordV2(byte[] digest, byte[] signature, byte[] verifierDer, bool isCertificate, string keyDetails = "PKIX_ECDSA_P256_SHA_256") => new JsonObject
    {
        ["hashedRekordRequestV002"] = new JsonObject
        {
            ["digest"] = Convert.ToBase64String(digest),
            ["signature"] = new JsonObject
            {
                ["content"] = Convert.ToBase64String(signature),
                ["verifier"] = Verifier(verifierDer, isCertificate, keyDetails),
            },
        },
    }.ToJsonString();

    private static string DsseV2(byte[] payload, byte[] signature, byte[] certificateDer) => new JsonObject
    {
        ["dsseRequestV002"] = new JsonObject
        {
            ["envelope"] = new JsonObject
            {
                ["payload"] = Convert.ToBase64String(payload),
                ["payloadType"] = "application/vnd.in-toto+json",
                ["signatures"] = new JsonArray(new JsonObject { ["sig"] = Convert.ToBase64String(signature), ["keyid"] = "" }),
            },
            ["verifiers"] = new JsonArray(Verifier(certificateDer, isCertificate: true, "PKIX_ECDSA_P256_SHA_256")),
        },
    }.ToJsonString();

    private static JsonObject Verifier(byte[] der, bool isCertificate, string keyDetails) => new()
    {
        [isCertificate ? "x509Certificate" : "publicKey"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(der) },
        ["keyDetails"] = keyDetails,
    };
}
