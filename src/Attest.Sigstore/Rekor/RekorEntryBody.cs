using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Core.Crypto;

namespace Attest.Sigstore.Rekor;

/// <summary>A signature recorded in a Rekor entry and the certificate (DER) or public key (SPKI DER) it was made with.</summary>
public sealed record RecordedSignature(byte[] Signature, byte[] VerifierDer, bool VerifierIsCertificate);

/// <summary>
/// The facts of a Rekor entry body that must agree with the bundle, normalised across the supported kinds:
/// <c>hashedrekord</c> 0.0.1 and 0.0.2, <c>dsse</c> 0.0.1 and 0.0.2, <c>intoto</c> 0.0.2 (rekor pkg/types, rekor-tiles service protos).
/// Hash values are raw bytes; algorithms are lower-case names (<c>sha256</c>).
/// </summary>
public sealed record RekorEntryBody
{
    public required string Kind { get; init; }

    public required string ApiVersion { get; init; }

    public required IReadOnlyList<RecordedSignature> Signatures { get; init; }

    /// <summary>hashedrekord: the artifact digest (0.0.2 over DSSE: the digest of the PAE).</summary>
    public (string Algorithm, byte[] Value)? Digest { get; init; }

    /// <summary>dsse / intoto: digest of the DSSE payload.</summary>
    public (string Algorithm, byte[] Value)? PayloadHash { get; init; }

    /// <summary>dsse 0.0.1: digest of the canonical envelope JSON.</summary>
    public (string Algorithm, byte[] Value)? EnvelopeHash { get; init; }

    /// <summary>intoto 0.0.2: the envelope stored in the entry (Rekor usually omits the payload).</summary>
    public string? EnvelopePayloadType { get; init; }

    public byte[]? EnvelopePayload { get; init; }

    public static readonly IReadOnlyList<(string Kind, string Version)> Supported =
        [("hashedrekord", "0.0.1"), ("hashedrekord", "0.0.2"), ("dsse", "0.0.1"), ("dsse", "0.0.2"), ("intoto", "0.0.2")];

    /// <summary>Kinds logged through Rekor v2 (rekor-tiles): no SET, a checkpoint under the log's origin.</summary>
    public static bool IsRekorV2(string kind, string version) => version == "0.0.2" && kind is "hashedrekord" or "dsse";

    public static bool IsSupported(string kind, string version) => Supported.Contains((kind, version));

    /// <summary>Parses a canonicalized body; <paramref name="error"/> is one sentence naming the missing or malformed field.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, int maxDepth, [NotNullWhen(true)] out RekorEntryBody? parsed, [NotNullWhen(false)] out string? error)
    {
        parsed = null;
        try
        {
            // The document reads the caller's bytes in place (they outlive it); no copy of the body.
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = maxDepth });
            var root = document.RootElement;
            var kind = Str(root, "kind");
            var apiVersion = Str(root, "apiVersion");
            if (kind is null || apiVersion is null) { error = "the entry body has no kind or apiVersion"; return false; }
            if (!root.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object) { error = "the entry body has no spec object"; return false; }
            return (kind, apiVersion) switch
            {
                ("hashedrekord", "0.0.1") => HashedRekordV001(spec, out parsed, out error),
                ("hashedrekord", "0.0.2") => HashedRekordV002(spec, out parsed, out error),
                ("dsse", "0.0.1") => DsseV001(spec, out parsed, out error),
                ("dsse", "0.0.2") => DsseV002(spec, out parsed, out error),
                ("intoto", "0.0.2") => IntotoV002(spec, out parsed, out error),
                _ => Error($"entry kind {kind} {apiVersion} is not supported", out parsed, out error),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) // InvalidOperationException: invalid UTF-8 or a lone surrogate inside a string
        {
            error = $"the entry body is not valid JSON ({e.Message})";
            return false;
        }
    }

    private static bool HashedRekordV001(JsonElement spec, out RekorEntryBody? parsed, out string? error)
    {
        parsed = null;
        var hash = Path(spec, "data", "hash");
        var algorithm = Str(hash, "algorithm");
        var value = Str(hash, "value");
        if (algorithm is null || value is null || !TryHex(value, out var digest)) return Error("hashedrekord spec.data.hash is missing or not hex", out parsed, out error);
        var signature = Path(spec, "signature");
        if (!TryB64(signature, "content", out var sig)) return Error("hashedrekord spec.signature.content is missing or not base64", out parsed, out error);
        if (!TryPemVerifier(Path(signature, "publicKey"), "content", out var verifier, out var isCert)) return Error("hashedrekord spec.signature.publicKey.content is not a base64 PEM certificate or key", out parsed, out error);
        parsed = new RekorEntryBody
        {
            Kind = "hashedrekord", ApiVersion = "0.0.1",
            Signatures = [new RecordedSignature(sig, verifier, isCert)],
            Digest = (algorithm.ToLowerInvariant(), digest),
        };
        error = null;
        return true;
    }

    private static bool HashedRekordV002(JsonElement spec, out RekorEntryBody? parsed, out string? error)
    {
        parsed = null;
        var v2 = Path(spec, "hashedRekordV002");
        var data = Path(v2, "data");
        var algorithm = ProtoHash(Str(data, "algorithm"));
        if (algorithm is null || !TryB64(data, "digest", out var digest)) return Error("hashedrekord 0.0.2 data.algorithm or data.digest is missing or invalid", out parsed, out error);
        var signature = Path(v2, "signature");
        if (!TryB64(signature, "content", out var sig)) return Error("hashedrekord 0.0.2 signature.content is missing or not base64", out parsed, out error);
        if (!TryDerVerifier(Path(signature, "verifier"), out var verifier, out var isCert))
            return Error("hashedrekord 0.0.2 signature.verifier has neither x509Certificate nor publicKey", out parsed, out error);
        parsed = new RekorEntryBody
        {
            Kind = "hashedrekord", ApiVersion = "0.0.2",
            Signatures = [new RecordedSignature(sig, verifier, isCert)],
            Digest = (algorithm, digest),
        };
        error = null;
        return true;
    }

    private static bool DsseV001(JsonElement spec, out RekorEntryBody? parsed, out string? error)
    {
        parsed = null;
        if (!TryHash(Path(spec, "payloadHash"), out var payloadHash)) return Error("dsse spec.payloadHash is missing or not hex", out parsed, out error);
        if (!TryHash(Path(spec, "envelopeHash"), out var envelopeHash)) return Error("dsse spec.envelopeHash is missing or not hex", out parsed, out error);
        if (!spec.TryGetProperty("signatures", out var signatures) || signatures.ValueKind != JsonValueKind.Array) return Error("dsse spec.signatures is missing", out parsed, out error);
        var list = new List<RecordedSignature>();
        foreach (var item in signatures.EnumerateArray())
        {
            if (list.Count == 16) return Error("dsse spec.signatures has too many entries", out parsed, out error);
            if (!TryB64(item, "signature", out var sig)) return Error("a dsse signature is not base64", out parsed, out error);
            if (!TryPemVerifier(item, "verifier", out var verifier, out var isCert)) return Error("a dsse verifier is not a base64 PEM certificate or key", out parsed, out error);
            list.Add(new RecordedSignature(sig, verifier, isCert));
        }
        parsed = new RekorEntryBody
        {
            Kind = "dsse", ApiVersion = "0.0.1",
            Signatures = list,
            PayloadHash = payloadHash,
            EnvelopeHash = envelopeHash,
        };
        error = null;
        return true;
    }

    private static bool DsseV002(JsonElement spec, out RekorEntryBody? parsed, out string? error)
    {
        parsed = null;
        var v2 = Path(spec, "dsseV002");
        var payloadHash = Path(v2, "payloadHash");
        var algorithm = ProtoHash(Str(payloadHash, "algorithm"));
        if (algorithm is null || !TryB64(payloadHash, "digest", out var digest)) return Error("dsse 0.0.2 payloadHash is missing or invalid", out parsed, out error);
        if (!v2.TryGetProperty("signatures", out var signatures) || signatures.ValueKind != JsonValueKind.Array) return Error("dsse 0.0.2 signatures is missing", out parsed, out error);
        var list = new List<RecordedSignature>();
        foreach (var item in signatures.EnumerateArray())
        {
            if (list.Count == 16) return Error("dsse 0.0.2 signatures has too many entries", out parsed, out error);
            if (!TryB64(item, "content", out var sig)) return Error("a dsse 0.0.2 signature content is not base64", out parsed, out error);
            if (!TryDerVerifier(Path(item, "verifier"), out var verifier, out var isCert)) return Error("a dsse 0.0.2 signature verifier has neither x509Certificate nor publicKey", out parsed, out error);
            list.Add(new RecordedSignature(sig, verifier, isCert));
        }
        parsed = new RekorEntryBody
        {
            Kind = "dsse", ApiVersion = "0.0.2",
            Signatures = list,
            PayloadHash = (algorithm, digest),
        };
        error = null;
        return true;
    }

    private static bool IntotoV002(JsonElement spec, out RekorEntryBody? parsed, out string? error)
    {
        parsed = null;
        var content = Path(spec, "content");
        if (!TryHash(Path(content, "payloadHash"), out var payloadHash)) return Error("intoto spec.content.payloadHash is missing or not hex", out parsed, out error);
        var envelope = Path(content, "envelope");
        var payloadType = Str(envelope, "payloadType");
        // Rekor stores payload and signatures base64-encoded twice (the envelope's base64 strings, encoded again).
        // The payload itself is usually not stored, only its hash.
        byte[]? payload = null;
        if (Str(envelope, "payload") is { } storedPayload && !TryDoubleB64(storedPayload, out payload)) return Error("intoto envelope.payload is not base64", out parsed, out error);
        if (!envelope.TryGetProperty("signatures", out var signatures) || signatures.ValueKind != JsonValueKind.Array) return Error("intoto envelope.signatures is missing", out parsed, out error);
        var list = new List<RecordedSignature>();
        foreach (var item in signatures.EnumerateArray())
        {
            if (list.Count == 16) return Error("intoto envelope.signatures has too many entries", out parsed, out error);
            if (!TryDoubleB64(Str(item, "sig"), out var sig)) return Error("an intoto signature is not base64", out parsed, out error);
            if (!TryPemVerifier(item, "publicKey", out var verifier, out var isCert)) return Error("an intoto publicKey is not a base64 PEM certificate or key", out parsed, out error);
            list.Add(new RecordedSignature(sig, verifier, isCert));
        }
        parsed = new RekorEntryBody
        {
            Kind = "intoto", ApiVersion = "0.0.2",
            Signatures = list,
            PayloadHash = payloadHash,
            EnvelopePayloadType = payloadType,
            EnvelopePayload = payload,
        };
        error = null;
        return true;
    }

    /// <summary>A Rekor v2 verifier: the DER of <c>x509Certificate.rawBytes</c> or <c>publicKey.rawBytes</c>.</summary>
    private static bool TryDerVerifier(JsonElement verifier, [NotNullWhen(true)] out byte[]? der, out bool isCertificate)
    {
        isCertificate = true;
        if (TryB64(Path(verifier, "x509Certificate"), "rawBytes", out der)) return true;
        isCertificate = false;
        return TryB64(Path(verifier, "publicKey"), "rawBytes", out der);
    }

    private static string? ProtoHash(string? name) => name switch
    {
        "SHA2_256" => "sha256",
        "SHA2_384" => "sha384",
        "SHA2_512" => "sha512",
        _ => null,
    };

    private static JsonElement Path(JsonElement element, params string[] names)
    {
        foreach (var name in names)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element)) return default;
        }
        return element;
    }

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool TryHash(JsonElement element, out (string Algorithm, byte[] Value) hash)
    {
        hash = default;
        var algorithm = Str(element, "algorithm");
        var value = Str(element, "value");
        if (algorithm is null || value is null || !TryHex(value, out var bytes)) return false;
        hash = (algorithm.ToLowerInvariant(), bytes);
        return true;
    }

    private static bool TryHex(string text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text.Length == 0 || text.Length % 2 != 0 || text.Length > 256) return false;
        try
        {
            bytes = Convert.FromHexString(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>A non-empty base64 string member, decoded from the document's UTF-8 when it is in the usual form.</summary>
    private static bool TryB64(JsonElement element, string name, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String) return false;
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value); // the string token, quotes included
        if (raw.IndexOf((byte)'\\') < 0 && Base64Any.TryDecodeStandard(raw[1..^1], out bytes)) return bytes.Length > 0;
        return TryB64(value.GetString(), out bytes);
    }

    private static bool TryB64(string? text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        return text is not null && Base64Any.TryDecode(text, out bytes) && bytes.Length > 0;
    }

    /// <summary>intoto 0.0.2 stores base64 of the base64 text. A value encoded only once is taken as is, so that a
    /// mismatching entry is reported as a mismatch rather than as unreadable.</summary>
    private static bool TryDoubleB64(string? text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (!TryB64(text, out var once)) return false;
        if (once.All(b => b < 0x80) && TryB64(Encoding.ASCII.GetString(once), out var twice))
        {
            bytes = twice;
            return true;
        }
        bytes = once;
        return true;
    }

    /// <summary>Base64 of a PEM certificate or public key → DER, and whether it is a certificate.</summary>
    private static bool TryPemVerifier(JsonElement element, string name, [NotNullWhen(true)] out byte[]? der, out bool isCertificate)
    {
        der = null;
        isCertificate = false;
        if (!TryB64(element, name, out var pemBytes) || pemBytes.Length > Pem.MaxLength) return false;
        if (!Pem.TryReadFirst(Encoding.UTF8.GetString(pemBytes), out var label, out der, out _)) return false;
        isCertificate = label == Pem.CertificateLabel;
        return isCertificate || label == Pem.PublicKeyLabel;
    }

    private static bool Error(string message, out RekorEntryBody? parsed, out string? error)
    {
        parsed = null;
        error = message;
        return false;
    }
}
