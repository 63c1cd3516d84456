using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using Attest.Core.Crypto;

namespace Attest.Core.Dsse;

/// <summary>One DSSE signature: the raw signature bytes and the optional, unauthenticated key ID hint.</summary>
public sealed record DsseSignature(byte[] Signature, string? KeyId);

/// <summary>
/// A DSSE envelope (secure-systems-lab/dsse envelope.md): payload bytes, payload type and signatures over
/// <see cref="Pae"/>. Parsing is bounded by <see cref="DsseLimits"/>.
/// </summary>
public sealed class DsseEnvelope
{
    public DsseEnvelope(string payloadType, byte[] payload, IReadOnlyList<DsseSignature> signatures)
    {
        PayloadType = payloadType;
        Payload = payload;
        Signatures = signatures;
    }

    public string PayloadType { get; }

    public byte[] Payload { get; }

    public IReadOnlyList<DsseSignature> Signatures { get; }

    /// <summary>The bytes every signature covers.</summary>
    public byte[] PreAuthenticationEncoding() => Pae.Encode(PayloadType, Payload);

    /// <summary>
    /// Counts the distinct verifiers that validate at least one signature and compares with <paramref name="threshold"/>
    /// (a verifier is counted once however many signatures it matches). Returns the number verified.
    /// </summary>
    public int CountVerified(IReadOnlyList<SignatureVerifier> verifiers)
    {
        var pae = PreAuthenticationEncoding();
        var count = 0;
        foreach (var verifier in verifiers)
        {
            foreach (var signature in Signatures)
            {
                if (verifier.Verify(pae, signature.Signature))
                {
                    count++;
                    break;
                }
            }
        }
        return count;
    }

    public bool Verify(IReadOnlyList<SignatureVerifier> verifiers, int threshold)
    {
        if (threshold < 1) throw new ArgumentOutOfRangeException(nameof(threshold), "threshold must be at least 1");
        return CountVerified(verifiers) >= threshold;
    }

    /// <summary>Parses envelope JSON (<c>payload</c>, <c>payloadType</c>, <c>signatures[{keyid, sig}]</c>, base64 standard or URL-safe).</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, [NotNullWhen(true)] out DsseEnvelope? envelope, [NotNullWhen(false)] out string? error, DsseLimits? limits = null)
    {
        limits ??= DsseLimits.Default;
        envelope = null;
        if (json.Length > limits.MaxEnvelopeBytes) { error = $"DSSE envelope is {json.Length} bytes, more than {limits.MaxEnvelopeBytes}"; return false; }
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = limits.MaxDepth });
            return TryRead(document.RootElement, out envelope, out error, limits);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) // InvalidOperationException: invalid UTF-8 or a lone surrogate inside a string
        {
            error = $"DSSE envelope is not valid JSON ({e.Message})";
            return false;
        }
    }

    public static bool TryRead(JsonElement root, [NotNullWhen(true)] out DsseEnvelope? envelope, [NotNullWhen(false)] out string? error, DsseLimits? limits = null)
    {
        try
        {
            return TryReadElement(root, out envelope, out error, limits);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json defers UTF-8 and escape validation of strings to GetString.
            envelope = null;
            error = $"DSSE envelope holds a string that is not valid UTF-8 or UTF-16 ({e.Message})";
            return false;
        }
    }

    private static bool TryReadElement(JsonElement root, [NotNullWhen(true)] out DsseEnvelope? envelope, [NotNullWhen(false)] out string? error, DsseLimits? limits)
    {
        limits ??= DsseLimits.Default;
        envelope = null;
        if (root.ValueKind != JsonValueKind.Object) { error = "DSSE envelope is not a JSON object"; return false; }
        if (!root.TryGetProperty("payloadType", out var typeElement) || typeElement.ValueKind != JsonValueKind.String) { error = "DSSE envelope has no payloadType string"; return false; }
        if (!root.TryGetProperty("payload", out var payloadElement) || payloadElement.ValueKind != JsonValueKind.String) { error = "DSSE envelope has no payload string"; return false; }
        if (!Base64Any.TryDecode(payloadElement.GetString()!, out var payload)) { error = "DSSE payload is not valid base64"; return false; }
        if (!root.TryGetProperty("signatures", out var signaturesElement) || signaturesElement.ValueKind != JsonValueKind.Array) { error = "DSSE envelope has no signatures array"; return false; }
        var count = signaturesElement.GetArrayLength();
        if (count == 0) { error = "DSSE envelope has no signatures"; return false; }
        if (count > limits.MaxSignatures) { error = $"DSSE envelope has {count} signatures, more than {limits.MaxSignatures}"; return false; }
        var signatures = new List<DsseSignature>(count);
        foreach (var item in signaturesElement.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("sig", out var sigElement) || sigElement.ValueKind != JsonValueKind.String)
            {
                error = "DSSE signature has no sig string";
                return false;
            }
            if (!Base64Any.TryDecode(sigElement.GetString()!, out var sig) || sig.Length == 0) { error = "DSSE signature is not valid base64"; return false; }
            string? keyId = item.TryGetProperty("keyid", out var keyIdElement) && keyIdElement.ValueKind == JsonValueKind.String ? keyIdElement.GetString() : null;
            signatures.Add(new DsseSignature(sig, keyId));
        }
        envelope = new DsseEnvelope(typeElement.GetString()!, payload, signatures);
        error = null;
        return true;
    }
}

/// <summary>Bounds for reading envelopes from untrusted input.</summary>
public sealed record DsseLimits(int MaxEnvelopeBytes = 32 << 20, int MaxSignatures = 16, int MaxDepth = 32)
{
    public static DsseLimits Default { get; } = new();
}

/// <summary>DSSE pre-authentication encoding: <c>"DSSEv1" SP len(type) SP type SP len(payload) SP payload</c>, lengths in ASCII decimal bytes.</summary>
public static class Pae
{
    public static byte[] Encode(string payloadType, ReadOnlySpan<byte> payload)
    {
        var type = Encoding.UTF8.GetBytes(payloadType);
        var header = Encoding.ASCII.GetBytes($"DSSEv1 {type.Length} ");
        var middle = Encoding.ASCII.GetBytes($" {payload.Length} ");
        var result = new byte[header.Length + type.Length + middle.Length + payload.Length];
        var span = result.AsSpan();
        header.CopyTo(span);
        type.CopyTo(span[header.Length..]);
        middle.CopyTo(span[(header.Length + type.Length)..]);
        payload.CopyTo(span[(header.Length + type.Length + middle.Length)..]);
        return result;
    }
}
