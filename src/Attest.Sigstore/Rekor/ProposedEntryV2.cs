using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Core;
using Attest.Core.Crypto;
using Attest.Core.Dsse;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Sigstore.Rekor;

/// <summary>
/// Rekor v2's <c>CreateEntryRequest</c> (protobuf-specs rekor/v2, as rekor-tiles serves it): a
/// <c>hashedRekordRequestV002</c> or a <c>dsseRequestV002</c>, with DER verifiers and their <c>keyDetails</c>. Read
/// strictly and verified like a v1 proposal; the canonical body is the v0.0.2 log entry rekor-tiles stores
/// (<c>hashedRekordV002</c>: the digest with the algorithm the key details imply, the signature and verifier;
/// <c>dsseV002</c>: the payload's SHA-256 and each signature with the verifier it verified with).
/// </summary>
public sealed partial class ProposedEntry
{
    /// <summary>The key details a Rekor v2 verifier may name, with the key type and the hash each implies. Ed25519 signs
    /// messages, so it can sign DSSE but not a hashedrekord digest (it has no hash here).</summary>
    private static readonly Dictionary<string, (Func<PublicKey, bool> Fits, SignatureScheme Scheme, string? Hash)> KeyDetails = new(StringComparer.Ordinal)
    {
        ["PKIX_ECDSA_P256_SHA_256"] = (k => k.Algorithm == KeyAlgorithm.EcdsaP256, SignatureScheme.EcdsaSha256, "sha256"),
        ["PKIX_ECDSA_P384_SHA_384"] = (k => k.Algorithm == KeyAlgorithm.EcdsaP384, SignatureScheme.EcdsaSha384, "sha384"),
        ["PKIX_ECDSA_P521_SHA_512"] = (k => k.Algorithm == KeyAlgorithm.EcdsaP521, SignatureScheme.EcdsaSha512, "sha512"),
        ["PKIX_RSA_PKCS1V15_2048_SHA256"] = (k => RsaOfSize(k, 2048), SignatureScheme.RsaPkcs1Sha256, "sha256"),
        ["PKIX_RSA_PKCS1V15_3072_SHA256"] = (k => RsaOfSize(k, 3072), SignatureScheme.RsaPkcs1Sha256, "sha256"),
        ["PKIX_RSA_PKCS1V15_4096_SHA256"] = (k => RsaOfSize(k, 4096), SignatureScheme.RsaPkcs1Sha256, "sha256"),
        ["PKIX_ED25519"] = (k => k.Algorithm == KeyAlgorithm.Ed25519, SignatureScheme.Ed25519, null),
    };

    /// <summary>Reads and verifies a Rekor v2 <c>CreateEntryRequest</c>; <paramref name="error"/> is one sentence naming the field at fault.</summary>
    public static bool TryReadV2(ReadOnlySpan<byte> json, [NotNullWhen(true)] out ProposedEntry? entry, [NotNullWhen(false)] out string? error)
    {
        entry = null;
        if (json.Length > MaxBytes) return Fail($"the request is larger than {MaxBytes} bytes", out error);
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail("the request is not a JSON object", out error);
            // protobuf JSON: the json_name, or the proto field name, which parsers also accept.
            var hashed = OneOf(root, "hashedRekordRequestV002", "hashed_rekord_request_v0_0_2", "hashedRekordRequestV0_0_2");
            var dsse = OneOf(root, "dsseRequestV002", "dsse_request_v0_0_2", "dsseRequestV0_0_2");
            if (hashed.ValueKind != JsonValueKind.Undefined && dsse.ValueKind != JsonValueKind.Undefined)
                return Fail("the request holds both hashedRekordRequestV002 and dsseRequestV002; give one", out error);
            if (hashed.ValueKind == JsonValueKind.Object) return HashedRekordV2(hashed, out entry, out error);
            if (dsse.ValueKind == JsonValueKind.Object) return DsseV2(dsse, out entry, out error);
            return Fail("the request needs a hashedRekordRequestV002 or a dsseRequestV002 object", out error);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return Fail($"the request is not valid JSON ({e.Message})", out error);
        }
    }

    private static bool HashedRekordV2(JsonElement request, out ProposedEntry? entry, out string? error)
    {
        entry = null;
        var signature = Member(request, "signature");
        if (!TryB64(Str(signature, "content"), out var sig)) return Fail("hashedRekordRequestV002.signature.content must be a base64 signature", out entry, out error);
        if (!TryV2Verifier(Member(signature, "verifier"), "hashedRekordRequestV002.signature.verifier", out var verifier, out var details, out error)) return Fail(error, out entry, out error);
        if (details.Hash is not { } algorithm)
            return Fail($"hashedRekordRequestV002.signature.verifier.keyDetails {Str(Member(signature, "verifier"), "keyDetails")} signs messages, not digests", out entry, out error);
        var length = algorithm switch { "sha256" => 32, "sha384" => 48, _ => 64 };
        if (!TryB64(Str(request, "digest"), out var digest) || digest.Length != length)
            return Fail($"hashedRekordRequestV002.digest must be the base64 of a {length}-byte {algorithm} digest (the key details' hash)", out entry, out error);
        if (!verifier.Key.VerifyHash(digest, sig, details.Scheme))
            return Fail("hashedRekordRequestV002.signature.content does not verify over the digest with the given certificate or key", out entry, out error);
        var canonical = Write(w =>
        {
            w.WriteStartObject("hashedRekordV002");
            w.WriteStartObject("data");
            w.WriteString("algorithm", ProtoHashName(algorithm));
            w.WriteString("digest", Convert.ToBase64String(digest));
            w.WriteEndObject();
            w.WriteStartObject("signature");
            w.WriteString("content", Convert.ToBase64String(sig));
            WriteV2Verifier(w, verifier, details.Name);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        entry = new ProposedEntry("hashedrekord", "0.0.2", canonical, Digest.FromBytes(algorithm, digest), [verifier]);
        error = null;
        return true;
    }

    private static bool DsseV2(JsonElement request, out ProposedEntry? entry, out string? error)
    {
        entry = null;
        var envelopeElement = Member(request, "envelope");
        if (envelopeElement.ValueKind != JsonValueKind.Object) return Fail("dsseRequestV002.envelope must be a DSSE envelope object", out entry, out error);
        if (!DsseEnvelope.TryParse(System.Text.Encoding.UTF8.GetBytes(envelopeElement.GetRawText()), out var envelope, out var envelopeError))
            return Fail($"dsseRequestV002.envelope is not a DSSE envelope: {envelopeError}", out entry, out error);
        if (envelope.Signatures.Count is 0 or > MaxSignatures) return Fail($"dsseRequestV002.envelope must carry 1 to {MaxSignatures} signatures", out entry, out error);
        if (!request.TryGetProperty("verifiers", out var verifiersElement) || verifiersElement.ValueKind != JsonValueKind.Array
            || verifiersElement.GetArrayLength() is 0 or > MaxSignatures)
            return Fail($"dsseRequestV002.verifiers must list 1 to {MaxSignatures} verifiers", out entry, out error);
        var verifiers = new List<(ProposedVerifier Verifier, (string Name, SignatureScheme Scheme, string? Hash) Details)>();
        foreach (var item in verifiersElement.EnumerateArray())
        {
            if (!TryV2Verifier(item, $"dsseRequestV002.verifiers[{verifiers.Count}]", out var verifier, out var details, out error)) return Fail(error, out entry, out error);
            verifiers.Add((verifier, details));
        }
        // As rekor-tiles: every signature must verify with one of the verifiers, and is recorded with that verifier.
        var pae = envelope.PreAuthenticationEncoding();
        var signers = new List<(byte[] Signature, ProposedVerifier Verifier, string KeyDetails)>();
        foreach (var signature in envelope.Signatures)
        {
            var match = verifiers.FirstOrDefault(v => v.Verifier.Key.VerifyData(pae, signature.Signature, v.Details.Scheme));
            if (match.Verifier is null) return Fail($"signature {signers.Count} of the envelope does not verify with any of the verifiers", out entry, out error);
            signers.Add((signature.Signature, match.Verifier, match.Details.Name));
        }
        var payloadHash = SHA256.HashData(envelope.Payload);
        var canonical = Write(w =>
        {
            w.WriteStartObject("dsseV002");
            w.WriteStartObject("payloadHash");
            w.WriteString("algorithm", "SHA2_256");
            w.WriteString("digest", Convert.ToBase64String(payloadHash));
            w.WriteEndObject();
            w.WriteStartArray("signatures");
            foreach (var (signature, verifier, keyDetails) in signers)
            {
                w.WriteStartObject();
                w.WriteString("content", Convert.ToBase64String(signature));
                WriteV2Verifier(w, verifier, keyDetails);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
        entry = new ProposedEntry("dsse", "0.0.2", canonical, Digest.FromBytes("sha256", payloadHash), [.. signers.Select(s => s.Verifier)]);
        error = null;
        return true;
    }

    /// <summary>A v2 verifier: <c>{x509Certificate: {rawBytes}} | {publicKey: {rawBytes}}</c> and <c>keyDetails</c>, which must fit the key.</summary>
    private static bool TryV2Verifier(JsonElement element, string at, [NotNullWhen(true)] out ProposedVerifier? verifier,
        out (string Name, SignatureScheme Scheme, string? Hash) details, [NotNullWhen(false)] out string? error)
    {
        verifier = null;
        details = default;
        var certificate = Str(Member(element, "x509Certificate"), "rawBytes");
        var key = Str(Member(element, "publicKey"), "rawBytes");
        if ((certificate is null) == (key is null)) return Fail($"{at} must hold exactly one of x509Certificate.rawBytes or publicKey.rawBytes", out error);
        if (!TryB64(certificate ?? key, out var der)) return Fail($"{at} rawBytes must be base64 DER", out error);
        if (!TryDerVerifier(der, isCertificate: certificate is not null, out verifier, out var verifierError)) return Fail($"{at} {verifierError}", out error);
        var name = Str(element, "keyDetails");
        if (name is null || !KeyDetails.TryGetValue(name, out var known))
            return Fail($"{at}.keyDetails must name the key type ({string.Join(", ", KeyDetails.Keys)})", out error);
        if (!known.Fits(verifier.Key)) return Fail($"{at}.keyDetails {name} does not describe its {verifier.Key.Algorithm} key", out error);
        details = (name, known.Scheme, known.Hash);
        error = null;
        return true;
    }

    private static void WriteV2Verifier(Utf8JsonWriter w, ProposedVerifier verifier, string keyDetails)
    {
        w.WriteStartObject("verifier");
        w.WriteString("keyDetails", keyDetails);
        w.WriteStartObject(verifier.Certificate is null ? "publicKey" : "x509Certificate");
        w.WriteString("rawBytes", Convert.ToBase64String(verifier.Der));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static JsonElement OneOf(JsonElement element, params string[] names)
    {
        foreach (var name in names)
            if (element.TryGetProperty(name, out var value)) return value;
        return default;
    }

    private static string ProtoHashName(string algorithm) => algorithm switch { "sha256" => "SHA2_256", "sha384" => "SHA2_384", _ => "SHA2_512" };

    private static bool RsaOfSize(PublicKey key, int bits)
    {
        if (key.Algorithm != KeyAlgorithm.Rsa) return false;
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
        return rsa.KeySize == bits;
    }
}
