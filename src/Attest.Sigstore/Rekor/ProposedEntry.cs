using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Core.Crypto;
using Attest.Core.Dsse;
using Attest.Core.X509;
using Attest.Sigstore.Signing;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Sigstore.Rekor;

/// <summary>A verifier named in a proposed entry: a certificate (with its DER) or a bare public key (SPKI DER).</summary>
public sealed record ProposedVerifier(PublicKey Key, byte[] Der, CertificateFields? Certificate);

/// <summary>
/// A Rekor v1 <c>ProposedEntry</c> (rekor openapi.yaml) read strictly and checked before anything is logged: the kind
/// and version are supported (<c>hashedrekord</c> 0.0.1, <c>dsse</c> 0.0.1, <c>intoto</c> 0.0.2), every signature verifies
/// with its verifier, and every hash the entry states is the hash of what it carries. What it returns is the canonical
/// body Rekor would store (RFC 8785; for DSSE kinds the payload replaced by its hash), which is what verifiers compare
/// with bundles, and the key facts for the log's own checks (who signed, which artifact).
/// </summary>
public sealed partial class ProposedEntry
{
    /// <summary>Largest proposed entry accepted (an in-toto envelope with its payload).</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    /// <summary>Signatures or verifiers one entry may carry.</summary>
    public const int MaxSignatures = 8;

    private const int MaxVerifierBytes = 16 * 1024;

    private ProposedEntry(string kind, string apiVersion, byte[] spec, Digest? artifact, IReadOnlyList<ProposedVerifier> signers)
    {
        Kind = kind;
        ApiVersion = apiVersion;
        CanonicalSpec = spec;
        ArtifactDigest = artifact;
        Signers = signers;
        CanonicalBody = RekorEntryBodies.Write(w =>
        {
            w.WriteString("apiVersion", apiVersion);
            w.WriteString("kind", kind);
            w.WritePropertyName("spec");
            w.WriteRawValue(spec, skipInputValidation: true);
        });
    }

    public string Kind { get; }

    public string ApiVersion { get; }

    /// <summary>RFC 8785 JSON of the entry's canonical <c>spec</c>.</summary>
    public byte[] CanonicalSpec { get; }

    /// <summary>RFC 8785 JSON of the whole canonical body (<c>apiVersion</c>, <c>kind</c>, <c>spec</c>).</summary>
    public byte[] CanonicalBody { get; }

    /// <summary>hashedrekord: the artifact digest; dsse / intoto: the digest of the payload.</summary>
    public Digest? ArtifactDigest { get; }

    /// <summary>The verifiers whose signatures verified (one per signature).</summary>
    public IReadOnlyList<ProposedVerifier> Signers { get; }

    /// <summary>Reads and verifies a proposed entry; <paramref name="error"/> is one sentence naming the field at fault.</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, [NotNullWhen(true)] out ProposedEntry? entry, [NotNullWhen(false)] out string? error)
    {
        entry = null;
        if (json.Length > MaxBytes) return Fail($"the proposed entry is larger than {MaxBytes} bytes", out error);
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail("the proposed entry is not a JSON object", out error);
            var kind = Str(root, "kind");
            var apiVersion = Str(root, "apiVersion");
            if (kind is null || apiVersion is null) return Fail("the proposed entry needs string members kind and apiVersion", out error);
            if (!root.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object) return Fail("the proposed entry has no spec object", out error);
            return (kind, apiVersion) switch
            {
                ("hashedrekord", "0.0.1") => HashedRekord(spec, out entry, out error),
                ("dsse", "0.0.1") => Dsse(spec, out entry, out error),
                ("intoto", "0.0.2") => Intoto(spec, out entry, out error),
                _ => Fail($"entry kind {Clip(kind)} {Clip(apiVersion)} is not accepted (hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2)", out error),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return Fail($"the proposed entry is not valid JSON ({e.Message})", out error);
        }
    }

    private static bool HashedRekord(JsonElement spec, out ProposedEntry? entry, out string? error)
    {
        entry = null;
        var hash = Member(Member(spec, "data"), "hash");
        var algorithm = Str(hash, "algorithm");
        var value = Str(hash, "value");
        var length = algorithm switch { "sha256" => 32, "sha384" => 48, "sha512" => 64, _ => 0 };
        if (length == 0) return Fail("spec.data.hash.algorithm must be sha256, sha384 or sha512", out error);
        if (value is null || value.Length != length * 2 || !TryHex(value, out var digest)) return Fail($"spec.data.hash.value must be {length * 2} hex digits", out error);
        var signature = Member(spec, "signature");
        if (!TryB64(Str(signature, "content"), out var sig)) return Fail("spec.signature.content must be a base64 signature", out error);
        if (!TryVerifier(Str(Member(signature, "publicKey"), "content"), out var verifier, out error)) return Fail($"spec.signature.publicKey.content {error}", out error);
        var scheme = SchemeFor(verifier.Key, algorithm!);
        if (scheme is null) return Fail($"a {verifier.Key.Algorithm} key cannot verify a signature over a {algorithm} digest (Ed25519 signs messages, not digests)", out error);
        if (!verifier.Key.VerifyHash(digest, sig, scheme.Value))
            return Fail("spec.signature.content does not verify over spec.data.hash with the given key or certificate", out error);
        var canonical = Write(w =>
        {
            w.WriteStartObject("data");
            w.WriteStartObject("hash");
            w.WriteString("algorithm", algorithm);
            w.WriteString("value", Convert.ToHexStringLower(digest));
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("signature");
            w.WriteString("content", Convert.ToBase64String(sig));
            w.WriteStartObject("publicKey");
            w.WriteString("content", VerifierContent(verifier));
            w.WriteEndObject();
            w.WriteEndObject();
        });
        entry = new ProposedEntry("hashedrekord", "0.0.1", canonical, Digest.FromBytes(algorithm!, digest), [verifier]);
        error = null;
        return true;
    }

    private static bool Dsse(JsonElement spec, out ProposedEntry? entry, out string? error)
    {
        entry = null;
        var proposed = Member(spec, "proposedContent");
        if (Str(proposed, "envelope") is not { } envelopeJson) return Fail("spec.proposedContent.envelope must be the DSSE envelope as a JSON string", out error);
        if (!DsseEnvelope.TryParse(Encoding.UTF8.GetBytes(envelopeJson), out var envelope, out var envelopeError))
            return Fail($"spec.proposedContent.envelope is not a DSSE envelope: {envelopeError}", out error);
        if (envelope.Signatures.Count > MaxSignatures) return Fail($"the envelope has more than {MaxSignatures} signatures", out error);
        if (!proposed.TryGetProperty("verifiers", out var verifiersElement) || verifiersElement.ValueKind != JsonValueKind.Array
            || verifiersElement.GetArrayLength() is 0 or > MaxSignatures)
            return Fail($"spec.proposedContent.verifiers must list 1 to {MaxSignatures} base64 PEM keys or certificates", out error);
        var verifiers = new List<ProposedVerifier>();
        foreach (var item in verifiersElement.EnumerateArray())
        {
            if (!TryVerifier(item.ValueKind == JsonValueKind.String ? item.GetString() : null, out var verifier, out var verifierError))
                return Fail($"spec.proposedContent.verifiers[{verifiers.Count}] {verifierError}", out error);
            verifiers.Add(verifier);
        }
        // Rekor's rule: every signature must verify with one of the verifiers, and is recorded with that verifier.
        var pae = envelope.PreAuthenticationEncoding();
        var signers = new List<ProposedVerifier>();
        foreach (var signature in envelope.Signatures)
        {
            var signer = verifiers.FirstOrDefault(v => v.Key.VerifyData(pae, signature.Signature, v.Key.DefaultScheme));
            if (signer is null) return Fail($"signature {signers.Count} of the envelope does not verify with any of the verifiers", out error);
            signers.Add(signer);
        }
        var envelopeHash = SHA256.HashData(RekorEntryBodies.CanonicalEnvelope(envelope));
        var payloadHash = SHA256.HashData(envelope.Payload);
        var canonical = Write(w =>
        {
            WriteHash(w, "envelopeHash", envelopeHash);
            WriteHash(w, "payloadHash", payloadHash);
            w.WriteStartArray("signatures");
            for (var i = 0; i < envelope.Signatures.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("signature", Convert.ToBase64String(envelope.Signatures[i].Signature));
                w.WriteString("verifier", VerifierContent(signers[i]));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
        entry = new ProposedEntry("dsse", "0.0.1", canonical, Digest.FromBytes("sha256", payloadHash), signers);
        error = null;
        return true;
    }

    private static bool Intoto(JsonElement spec, out ProposedEntry? entry, out string? error)
    {
        entry = null;
        var content = Member(spec, "content");
        var envelope = Member(content, "envelope");
        var payloadType = Str(envelope, "payloadType");
        if (string.IsNullOrEmpty(payloadType)) return Fail("spec.content.envelope.payloadType is missing", out error);
        if (!TryDoubleB64(Str(envelope, "payload"), out var payload)) return Fail("spec.content.envelope.payload must be the base64 of the envelope's base64 payload", out error);
        if (!envelope.TryGetProperty("signatures", out var signaturesElement) || signaturesElement.ValueKind != JsonValueKind.Array
            || signaturesElement.GetArrayLength() != 1)
            return Fail("spec.content.envelope.signatures must hold exactly one signature (intoto 0.0.2)", out error);
        var item = signaturesElement[0];
        if (!TryDoubleB64(Str(item, "sig"), out var sig)) return Fail("spec.content.envelope.signatures[0].sig must be the base64 of the base64 signature", out error);
        var publicKeyText = Str(item, "publicKey");
        if (!TryVerifier(publicKeyText, out var verifier, out error)) return Fail($"spec.content.envelope.signatures[0].publicKey {error}", out error);
        var keyId = Str(item, "keyid");
        if (!verifier.Key.VerifyData(Pae.Encode(payloadType, payload), sig, verifier.Key.DefaultScheme))
            return Fail("the envelope's signature does not verify over its payload with the given key or certificate", out error);
        var payloadHash = SHA256.HashData(payload);
        if (!TryHash(Member(content, "payloadHash"), out var statedPayloadHash) || !statedPayloadHash.AsSpan().SequenceEqual(payloadHash))
            return Fail("spec.content.payloadHash is not the sha256 of the envelope's payload", out error);
        // sigstore-js hashes the envelope as RFC 8785 {payloadType, payload, signatures[{sig, publicKey[, keyid]}]} with the
        // key as PEM text; Rekor stores the stated hash as given. Either form of the key (PEM text or its base64) is accepted.
        byte[] EnvelopeHash(string key) => SHA256.HashData(Write(w =>
        {
            w.WriteString("payload", Convert.ToBase64String(payload));
            w.WriteString("payloadType", payloadType);
            w.WriteStartArray("signatures");
            w.WriteStartObject();
            if (!string.IsNullOrEmpty(keyId)) w.WriteString("keyid", keyId);
            w.WriteString("publicKey", key);
            w.WriteString("sig", Convert.ToBase64String(sig));
            w.WriteEndObject();
            w.WriteEndArray();
        }));
        var pemText = Encoding.UTF8.GetString(Convert.FromBase64String(publicKeyText!));
        if (!TryHash(Member(content, "hash"), out var envelopeHash)
            || !(envelopeHash.AsSpan().SequenceEqual(EnvelopeHash(pemText)) || envelopeHash.AsSpan().SequenceEqual(EnvelopeHash(publicKeyText!))))
            return Fail("spec.content.hash is not the sha256 of the canonical envelope", out error);
        var canonical = Write(w =>
        {
            w.WriteStartObject("content");
            w.WriteStartObject("envelope");
            w.WriteString("payloadType", payloadType);
            w.WriteStartArray("signatures");
            w.WriteStartObject();
            if (!string.IsNullOrEmpty(keyId)) w.WriteString("keyid", keyId);
            w.WriteString("publicKey", VerifierContent(verifier));
            w.WriteString("sig", Convert.ToBase64String(Encoding.ASCII.GetBytes(Convert.ToBase64String(sig))));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            WriteHash(w, "hash", envelopeHash);
            WriteHash(w, "payloadHash", payloadHash);
            w.WriteEndObject();
        });
        entry = new ProposedEntry("intoto", "0.0.2", canonical, Digest.FromBytes("sha256", payloadHash), [verifier]);
        error = null;
        return true;
    }

    private static SignatureScheme? SchemeFor(PublicKey key, string algorithm) => (key.Algorithm, algorithm) switch
    {
        (KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 or KeyAlgorithm.EcdsaP521, "sha256") => SignatureScheme.EcdsaSha256,
        (KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 or KeyAlgorithm.EcdsaP521, "sha384") => SignatureScheme.EcdsaSha384,
        (KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 or KeyAlgorithm.EcdsaP521, "sha512") => SignatureScheme.EcdsaSha512,
        (KeyAlgorithm.Rsa, "sha256") => SignatureScheme.RsaPkcs1Sha256,
        (KeyAlgorithm.Rsa, "sha384") => SignatureScheme.RsaPkcs1Sha384,
        (KeyAlgorithm.Rsa, "sha512") => SignatureScheme.RsaPkcs1Sha512,
        _ => null,
    };

    /// <summary>A verifier as Rekor takes it: base64 of a PEM certificate or public key.</summary>
    private static bool TryVerifier(string? base64Pem, [NotNullWhen(true)] out ProposedVerifier? verifier, [NotNullWhen(false)] out string? error)
    {
        verifier = null;
        if (base64Pem is null || base64Pem.Length > MaxVerifierBytes * 2) return Fail("must be the base64 of a PEM public key or certificate", out error);
        if (!Base64Any.TryDecode(base64Pem, out var pemBytes) || pemBytes.Length > MaxVerifierBytes) return Fail("is not base64 of a PEM block", out error);
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(pemBytes);
        }
        catch (DecoderFallbackException)
        {
            return Fail("is not a PEM text", out error);
        }
        if (!Pem.TryReadFirst(text, out var label, out var der, out var pemError)) return Fail($"is not PEM ({pemError})", out error);
        if (label == Pem.CertificateLabel) return TryDerVerifier(der, isCertificate: true, out verifier, out error);
        if (label == Pem.PublicKeyLabel) return TryDerVerifier(der, isCertificate: false, out verifier, out error);
        return Fail($"holds a PEM '{Clip(label)}' block; a CERTIFICATE or PUBLIC KEY is expected", out error);
    }

    /// <summary>A verifier from DER: an X.509 certificate or a SubjectPublicKeyInfo.</summary>
    private static bool TryDerVerifier(byte[] der, bool isCertificate, [NotNullWhen(true)] out ProposedVerifier? verifier, [NotNullWhen(false)] out string? error)
    {
        verifier = null;
        if (der.Length > MaxVerifierBytes) return Fail($"is larger than {MaxVerifierBytes} bytes", out error);
        if (!isCertificate)
        {
            if (!PublicKey.TryParseSubjectPublicKeyInfo(der, out var key, out var keyError)) return Fail($"is not a usable public key ({keyError})", out error);
            verifier = new ProposedVerifier(key, der, null);
            error = null;
            return true;
        }
        // Read in managed code, as the verifier reads bundles: no native certificate object per proposed entry.
        if (!CertificateFields.TryParse(der, out var certificate, out var certificateError))
            return Fail($"is not a readable X.509 certificate ({certificateError})", out error);
        if (!PublicKey.TryParseSubjectPublicKeyInfo(certificate.SubjectPublicKeyInfo.Span, out var certKey, out var certKeyError))
            return Fail($"holds a certificate whose key cannot be used ({certKeyError})", out error);
        verifier = new ProposedVerifier(certKey, der, certificate);
        error = null;
        return true;
    }

    /// <summary>The verifier re-encoded canonically (base64 of its PEM), as Rekor stores it.</summary>
    private static string VerifierContent(ProposedVerifier verifier) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(Pem.Encode(verifier.Certificate is null ? Pem.PublicKeyLabel : Pem.CertificateLabel, verifier.Der)));

    private static void WriteHash(Utf8JsonWriter w, string name, byte[] hash)
    {
        w.WriteStartObject(name);
        w.WriteString("algorithm", "sha256");
        w.WriteString("value", Convert.ToHexStringLower(hash));
        w.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> members) => RekorEntryBodies.Write(members);

    private static JsonElement Member(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool TryHash(JsonElement element, [NotNullWhen(true)] out byte[]? hash)
    {
        hash = null;
        return Str(element, "algorithm") == "sha256" && Str(element, "value") is { Length: 64 } value && TryHex(value, out hash);
    }

    private static bool TryHex(string text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text.Length % 2 != 0 || !text.All(char.IsAsciiHexDigit)) return false;
        bytes = Convert.FromHexString(text);
        return true;
    }

    private static bool TryB64(string? text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        return text is { Length: > 0 and <= 8192 } && Base64Any.TryDecode(text, out bytes) && bytes.Length > 0;
    }

    private static bool TryDoubleB64(string? text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text is null || !Base64Any.TryDecode(text, out var once) || once.Length == 0) return false;
        return Base64Any.TryDecode(Encoding.ASCII.GetString(once), out bytes) && bytes.Length > 0;
    }

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    private static bool Fail(string message, out ProposedEntry? entry, out string error)
    {
        entry = null;
        error = message;
        return false;
    }
}
