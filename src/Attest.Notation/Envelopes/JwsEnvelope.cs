using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using Attest.Core;

namespace Attest.Notation.Envelopes;

/// <summary>
/// Reads a Notary Project JWS envelope (JSON flattened serialization, signature-envelope-jws.md): exactly the members
/// <c>payload</c>, <c>protected</c>, <c>header</c> and <c>signature</c>; protected headers <c>alg</c>, <c>cty</c>,
/// <c>crit</c>, the <c>io.cncf.notary.*</c> attributes and extended attributes; unprotected <c>x5c</c>, the timestamp
/// countersignature and the signing agent. Strict: duplicate members, unpadded base64url only, bounded sizes.
/// </summary>
public static class JwsEnvelope
{
    private const string Format = "JWS";

    private static readonly HashSet<string> TopLevel = new(StringComparer.Ordinal) { "payload", "protected", "header", "signature" };

    /// <summary>Registered JWS header names (RFC 7515 §4.1) that may not be listed in <c>crit</c>.</summary>
    private static readonly HashSet<string> Registered = new(StringComparer.Ordinal)
    {
        "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
    };

    internal static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowDuplicateProperties = false,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = NotationLimits.MaxDepth,
    };

    public static bool TryParse(ReadOnlySpan<byte> json, [NotNullWhen(true)] out SignatureEnvelope? envelope, [NotNullWhen(false)] out Finding? failure)
    {
        envelope = null;
        if (json.Length > NotationLimits.MaxEnvelopeBytes)
        {
            failure = EnvelopeReading.Malformed(Format, $"it is {json.Length} bytes, more than {NotationLimits.MaxEnvelopeBytes}");
            return false;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), JsonOptions);
        }
        catch (JsonException e)
        {
            failure = EnvelopeReading.Malformed(Format, $"not JSON ({e.Message})");
            return false;
        }
        using (document)
        {
            failure = Read(document.RootElement, out envelope);
            return failure is null;
        }
    }

    private static Finding? Read(JsonElement root, out SignatureEnvelope? envelope)
    {
        envelope = null;
        if (root.ValueKind != JsonValueKind.Object) return EnvelopeReading.Malformed(Format, "not a JSON object");
        foreach (var member in root.EnumerateObject())
        {
            if (member.Name == "signatures") return EnvelopeReading.Malformed(Format, "the general serialization ('signatures') is not supported; Notary envelopes are flattened");
            if (!TopLevel.Contains(member.Name)) return EnvelopeReading.Malformed(Format, $"unexpected member {Short(member.Name)}");
        }
        if (!TryString(root, "payload", out var payloadText) || !TryBase64Url(payloadText, out var payload))
            return EnvelopeReading.Malformed(Format, "'payload' must be an unpadded base64url string");
        if (!TryString(root, "protected", out var protectedText) || !TryBase64Url(protectedText, out var protectedBytes))
            return EnvelopeReading.Malformed(Format, "'protected' must be an unpadded base64url string");
        if (!TryString(root, "signature", out var signatureText) || !TryBase64Url(signatureText, out var signature) || signature.Length == 0)
            return EnvelopeReading.Malformed(Format, "'signature' must be a non-empty unpadded base64url string");
        if (!root.TryGetProperty("header", out var header) || header.ValueKind != JsonValueKind.Object)
            return EnvelopeReading.Malformed(Format, "'header' (the unprotected headers with the certificate chain) is missing");
        if (payload.Length > NotationLimits.MaxPayloadBytes)
            return EnvelopeReading.Malformed(Format, $"the payload is {payload.Length} bytes, more than {NotationLimits.MaxPayloadBytes}");

        // Unprotected headers: x5c (required), the timestamp countersignature and the signing agent. Others are ignored:
        // they are not signed and nothing reads them.
        var chain = new List<byte[]>();
        if (!header.TryGetProperty("x5c", out var x5c) || x5c.ValueKind != JsonValueKind.Array)
            return EnvelopeReading.Malformed(Format, "the 'x5c' certificate chain is missing");
        if (x5c.GetArrayLength() is 0 or > NotationLimits.MaxChainLength)
            return EnvelopeReading.Malformed(Format, $"'x5c' must hold 1 to {NotationLimits.MaxChainLength} certificates, not {x5c.GetArrayLength()}");
        foreach (var item in x5c.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || !TryBase64(item.GetString()!, out var der) || der.Length == 0)
                return EnvelopeReading.Malformed(Format, "an 'x5c' entry is not a base64 DER certificate");
            chain.Add(der);
        }
        byte[]? timestamp = null;
        if (header.TryGetProperty(NotationMediaTypes.TimestampHeader, out var ts))
        {
            if (ts.ValueKind != JsonValueKind.String || !TryBase64(ts.GetString()!, out timestamp) || timestamp.Length == 0)
                return EnvelopeReading.Malformed(Format, $"'{NotationMediaTypes.TimestampHeader}' is not a base64 timestamp token");
        }
        string? agent = null;
        if (header.TryGetProperty(NotationMediaTypes.SigningAgentHeader, out var agentElement))
        {
            if (agentElement.ValueKind != JsonValueKind.String) return EnvelopeReading.Malformed(Format, $"'{NotationMediaTypes.SigningAgentHeader}' is not a string");
            agent = agentElement.GetString();
        }

        JsonDocument protectedDocument;
        try
        {
            protectedDocument = JsonDocument.Parse(protectedBytes, JsonOptions);
        }
        catch (JsonException e)
        {
            return EnvelopeReading.Malformed(Format, $"the protected header is not JSON ({e.Message})");
        }
        using (protectedDocument)
        {
            var failure = ReadProtected(protectedDocument.RootElement, out var headers);
            if (failure is not null) return failure;
            // JWS signing input (RFC 7515 §5.2): the two base64url texts exactly as they appear in the envelope.
            var signedBytes = Encoding.ASCII.GetBytes(protectedText + "." + payloadText);
            envelope = headers!.Envelope(EnvelopeFormat.Jws, chain, timestamp, agent, payload, signature, signedBytes);
            return null;
        }
    }

    private static Finding? ReadProtected(JsonElement root, out SignedHeaders? headers)
    {
        headers = null;
        if (root.ValueKind != JsonValueKind.Object) return EnvelopeReading.Malformed(Format, "the protected header is not a JSON object");
        var count = 0;
        foreach (var _ in root.EnumerateObject())
            if (++count > NotationLimits.MaxHeaders) return EnvelopeReading.Header(Format, $"more than {NotationLimits.MaxHeaders} headers");

        if (!TryString(root, "alg", out var algName)) return EnvelopeReading.Header(Format, "'alg' is missing");
        if (NotationAlgorithms.FromJwsName(algName) is not { } algorithm)
            return EnvelopeReading.Header(Format, $"'alg' {Short(algName)} is not one of PS256, PS384, PS512, ES256, ES384, ES512");
        if (!TryString(root, "cty", out var contentType)) return EnvelopeReading.Header(Format, "'cty' is missing");
        if (!TryString(root, NotationMediaTypes.SigningSchemeHeader, out var schemeName)) return EnvelopeReading.Header(Format, $"'{NotationMediaTypes.SigningSchemeHeader}' is missing");
        if (NotationMediaTypes.ParseScheme(schemeName) is not { } scheme)
            return EnvelopeReading.Header(Format, $"signing scheme {Short(schemeName)} is not notary.x509 or notary.x509.signingAuthority");

        var critical = new List<string>();
        if (root.TryGetProperty("crit", out var crit))
        {
            if (crit.ValueKind != JsonValueKind.Array) return EnvelopeReading.Header(Format, "'crit' is not an array");
            foreach (var item in crit.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) return EnvelopeReading.Header(Format, "'crit' lists a value that is not a string");
                var name = item.GetString()!;
                if (Registered.Contains(name)) return EnvelopeReading.Header(Format, $"'crit' lists the registered header '{name}' (RFC 7515 §4.1.11)");
                critical.Add(name);
            }
        }

        DateTimeOffset? signingTime = null, authenticTime = null, expiry = null;
        foreach (var (name, target) in new[] { (NotationMediaTypes.SigningTimeHeader, 0), (NotationMediaTypes.AuthenticSigningTimeHeader, 1), (NotationMediaTypes.ExpiryHeader, 2) })
        {
            if (!root.TryGetProperty(name, out var value)) continue;
            if (value.ValueKind != JsonValueKind.String || !EnvelopeReading.TryParseRfc3339(value.GetString()!, out var time))
                return EnvelopeReading.Header(Format, $"'{name}' is not an RFC 3339 date-time");
            switch (target)
            {
                case 0: signingTime = time; break;
                case 1: authenticTime = time; break;
                default: expiry = time; break;
            }
        }

        var problem = EnvelopeReading.CheckSchemeAndCritical(Format, scheme, critical, n => root.TryGetProperty(n, out _),
            signingTime is not null, authenticTime is not null, expiry is not null);
        if (problem is not null) return problem;

        var extended = new List<ExtendedAttribute>();
        foreach (var member in root.EnumerateObject())
        {
            if (member.Name is "alg" or "cty" or "crit" || EnvelopeReading.StandardHeaders.Contains(member.Name)) continue;
            extended.Add(new ExtendedAttribute(member.Name, member.Value.GetRawText(), critical.Contains(member.Name)));
        }
        headers = new SignedHeaders(algorithm, contentType, scheme, signingTime, authenticTime, expiry, extended);
        return null;
    }

    private static bool TryString(JsonElement element, string name, [NotNullWhen(true)] out string? value)
    {
        value = element.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.String ? property.GetString() : null;
        return value is not null;
    }

    /// <summary>Unpadded base64url (RFC 7515 §2): only A-Z a-z 0-9 - _, no padding, no whitespace.</summary>
    internal static bool TryBase64Url(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 4 == 1) return false;
        foreach (var c in text)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        var padded = text.Replace('-', '+').Replace('_', '/') + new string('=', (4 - text.Length % 4) % 4);
        try
        {
            bytes = Convert.FromBase64String(padded);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    internal static string ToBase64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = [];
        try
        {
            bytes = Convert.FromBase64String(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Short(string? text) => text is null ? "(none)" : text.Length <= 64 ? $"'{text}'" : $"'{text[..64]}…'";
}
