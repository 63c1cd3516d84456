using System.Diagnostics.CodeAnalysis;
using System.Formats.Cbor;
using Attest.Core;

namespace Attest.Notation.Envelopes;

/// <summary>
/// Reads a Notary Project COSE envelope (signature-envelope-cose.md): a COSE_Sign1_Tagged (tag 18) array of the
/// protected header bytes, the unprotected header map, the payload and the signature. Protected headers: <c>alg</c> (1),
/// <c>crit</c> (2), content type (3), the <c>io.cncf.notary.*</c> attributes (times as tag-1 epoch date/times) and
/// extended attributes; unprotected: <c>x5chain</c> (33), the timestamp countersignature and the signing agent.
/// </summary>
public static class CoseEnvelope
{
    private const string Format = "COSE";
    private const ulong Sign1Tag = 18;
    private const long AlgLabel = 1, CritLabel = 2, ContentTypeLabel = 3, X5ChainLabel = 33;

    public static bool TryParse(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out SignatureEnvelope? envelope, [NotNullWhen(false)] out Finding? failure)
    {
        envelope = null;
        if (bytes.Length > NotationLimits.MaxEnvelopeBytes)
        {
            failure = EnvelopeReading.Malformed(Format, $"it is {bytes.Length} bytes, more than {NotationLimits.MaxEnvelopeBytes}");
            return false;
        }
        CborValue root;
        try
        {
            root = CborValue.Decode(bytes.ToArray());
        }
        catch (CborValue.DecodeException e)
        {
            failure = EnvelopeReading.Malformed(Format, $"not valid CBOR ({e.Message})");
            return false;
        }
        failure = Read(root, out envelope);
        return failure is null;
    }

    private static Finding? Read(CborValue root, out SignatureEnvelope? envelope)
    {
        envelope = null;
        if (root is not CborValue.Tagged { Tag: Sign1Tag, Content: CborValue.Array { Items.Count: 4 } message })
            return EnvelopeReading.Malformed(Format, "not a COSE_Sign1_Tagged message (tag 18 with an array of 4)");
        if (message.Items[0] is not CborValue.Bytes { Value: var protectedBytes } || protectedBytes.Length == 0)
            return EnvelopeReading.Malformed(Format, "the protected header is not a non-empty byte string");
        if (message.Items[1] is not CborValue.Map unprotected)
            return EnvelopeReading.Malformed(Format, "the unprotected header is not a map");
        if (message.Items[2] is not CborValue.Bytes { Value: var payload })
            return EnvelopeReading.Malformed(Format, "the payload is not a byte string (detached payloads are not supported)");
        if (message.Items[3] is not CborValue.Bytes { Value: var signature } || signature.Length == 0)
            return EnvelopeReading.Malformed(Format, "the signature is not a non-empty byte string");
        if (payload.Length > NotationLimits.MaxPayloadBytes)
            return EnvelopeReading.Malformed(Format, $"the payload is {payload.Length} bytes, more than {NotationLimits.MaxPayloadBytes}");

        CborValue protectedValue;
        try
        {
            protectedValue = CborValue.Decode(protectedBytes);
        }
        catch (CborValue.DecodeException e)
        {
            return EnvelopeReading.Malformed(Format, $"the protected header is not valid CBOR ({e.Message})");
        }
        if (protectedValue is not CborValue.Map protectedMap) return EnvelopeReading.Malformed(Format, "the protected header is not a map");
        if (protectedMap.Entries.Count > NotationLimits.MaxHeaders) return EnvelopeReading.Header(Format, $"more than {NotationLimits.MaxHeaders} headers");

        var failure = ReadProtected(protectedMap, out var headers, out var protectedChain);
        if (failure is not null) return failure;

        // x5chain is unprotected by default; the specification allows it in the protected bucket instead.
        var chainValue = Find(unprotected, X5ChainLabel) ?? protectedChain;
        if (chainValue is null) return EnvelopeReading.Malformed(Format, "the x5chain certificate chain (label 33) is missing");
        var chain = new List<byte[]>();
        switch (chainValue)
        {
            case CborValue.Bytes single:
                chain.Add(single.Value);
                break;
            case CborValue.Array { Items.Count: > 0 and <= NotationLimits.MaxChainLength } many:
                foreach (var item in many.Items)
                {
                    if (item is not CborValue.Bytes { Value.Length: > 0 } der) return EnvelopeReading.Malformed(Format, "an x5chain entry is not a DER certificate byte string");
                    chain.Add(der.Value);
                }
                break;
            default:
                return EnvelopeReading.Malformed(Format, $"x5chain must hold 1 to {NotationLimits.MaxChainLength} certificates as byte strings");
        }
        byte[]? timestamp = null;
        if (Find(unprotected, NotationMediaTypes.TimestampHeader) is { } ts)
        {
            if (ts is not CborValue.Bytes { Value.Length: > 0 } tsBytes) return EnvelopeReading.Malformed(Format, $"'{NotationMediaTypes.TimestampHeader}' is not a byte string");
            timestamp = tsBytes.Value;
        }
        string? agent = null;
        if (Find(unprotected, NotationMediaTypes.SigningAgentHeader) is { } agentValue)
        {
            if (agentValue is not CborValue.Text text) return EnvelopeReading.Malformed(Format, $"'{NotationMediaTypes.SigningAgentHeader}' is not a text string");
            agent = text.Value;
        }

        envelope = headers!.Envelope(EnvelopeFormat.Cose, chain, timestamp, agent, payload, signature, SigStructure(protectedBytes, payload));
        return null;
    }

    /// <summary>RFC 9052 §4.4: <c>["Signature1", body_protected, external_aad = h'', payload]</c>, the bytes the signature is over.</summary>
    public static byte[] SigStructure(byte[] protectedBytes, byte[] payload)
    {
        var writer = new CborWriter(CborConformanceMode.Strict);
        writer.WriteStartArray(4);
        writer.WriteTextString("Signature1");
        writer.WriteByteString(protectedBytes);
        writer.WriteByteString([]);
        writer.WriteByteString(payload);
        writer.WriteEndArray();
        return writer.Encode();
    }

    /// <summary>The protected headers; <paramref name="protectedChain"/> is x5chain when it is in the protected bucket.</summary>
    private static Finding? ReadProtected(CborValue.Map map, out SignedHeaders? headers, out CborValue? protectedChain)
    {
        headers = null;
        protectedChain = null;
        if (Find(map, AlgLabel) is not CborValue.Integer alg) return EnvelopeReading.Header(Format, "'alg' (label 1) is missing or not an integer");
        if (NotationAlgorithms.FromCoseLabel(alg.Value) is not { } algorithm)
            return EnvelopeReading.Header(Format, $"'alg' {alg.Value} is not one of PS256 (-37), PS384 (-38), PS512 (-39), ES256 (-7), ES384 (-35), ES512 (-36)");
        if (Find(map, ContentTypeLabel) is not CborValue.Text contentType)
            return EnvelopeReading.Header(Format, "the content type (label 3) is missing or not a text string");
        if (Find(map, NotationMediaTypes.SigningSchemeHeader) is not CborValue.Text schemeText)
            return EnvelopeReading.Header(Format, $"'{NotationMediaTypes.SigningSchemeHeader}' is missing or not a text string");
        if (NotationMediaTypes.ParseScheme(schemeText.Value) is not { } scheme)
            return EnvelopeReading.Header(Format, $"signing scheme '{Short(schemeText.Value)}' is not notary.x509 or notary.x509.signingAuthority");

        var critical = new List<string>();
        if (Find(map, CritLabel) is { } critValue)
        {
            if (critValue is not CborValue.Array crit) return EnvelopeReading.Header(Format, "'crit' (label 2) is not an array");
            foreach (var item in crit.Items)
            {
                switch (item)
                {
                    case CborValue.Text t: critical.Add(t.Value); break;
                    case CborValue.Integer { Value: >= 0 and <= 8 } i:
                        return EnvelopeReading.Header(Format, $"'crit' lists label {i.Value}, a common parameter (0 to 8) that may not be listed");
                    case CborValue.Integer i: critical.Add(IntegerKey(i.Value)); break;
                    default: return EnvelopeReading.Header(Format, "'crit' lists a value that is neither a label nor a name");
                }
            }
        }

        DateTimeOffset? signingTime = null, authenticTime = null, expiry = null;
        foreach (var (name, target) in new[] { (NotationMediaTypes.SigningTimeHeader, 0), (NotationMediaTypes.AuthenticSigningTimeHeader, 1), (NotationMediaTypes.ExpiryHeader, 2) })
        {
            if (Find(map, name) is not { } value) continue;
            if (!TryReadTime(value, out var time)) return EnvelopeReading.Header(Format, $"'{name}' is not a tag-1 epoch date/time");
            switch (target)
            {
                case 0: signingTime = time; break;
                case 1: authenticTime = time; break;
                default: expiry = time; break;
            }
        }

        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, _) in map.Entries)
        {
            switch (key)
            {
                case CborValue.Text t: present.Add(t.Value); break;
                case CborValue.Integer i: present.Add(IntegerKey(i.Value)); break;
                default: return EnvelopeReading.Header(Format, "a header label is neither an integer nor a text string");
            }
        }
        var problem = EnvelopeReading.CheckSchemeAndCritical(Format, scheme, critical, present.Contains,
            signingTime is not null, authenticTime is not null, expiry is not null);
        if (problem is not null) return problem;

        var extended = new List<ExtendedAttribute>();
        foreach (var (key, value) in map.Entries)
        {
            if (key is CborValue.Integer { Value: AlgLabel or CritLabel or ContentTypeLabel }) continue;
            if (key is CborValue.Integer { Value: X5ChainLabel })
            {
                protectedChain = value;
                continue;
            }
            if (key is CborValue.Text t && EnvelopeReading.StandardHeaders.Contains(t.Value)) continue;
            var name = key is CborValue.Text text ? text.Value : IntegerKey(((CborValue.Integer)key).Value);
            extended.Add(new ExtendedAttribute(name, value.Render(), critical.Contains(name)));
        }
        headers = new SignedHeaders(algorithm, contentType.Value, scheme, signingTime, authenticTime, expiry, extended);
        return null;
    }

    /// <summary>Integer labels of extended attributes are named by their decimal value, prefixed so they cannot collide with names.</summary>
    private static string IntegerKey(long label) => $"#{label}";

    /// <summary>RFC 8949 §3.4.2: tag 1 with integer (or floating-point) seconds since the epoch.</summary>
    private static bool TryReadTime(CborValue value, out DateTimeOffset time)
    {
        time = default;
        if (value is not CborValue.Tagged { Tag: 1, Content: var content }) return false;
        try
        {
            switch (content)
            {
                case CborValue.Integer i:
                    time = DateTimeOffset.FromUnixTimeSeconds(i.Value);
                    return true;
                case CborValue.Other other when other.Description.Contains("Float", StringComparison.Ordinal):
                    var seconds = new CborReader(other.Encoded).ReadDouble();
                    if (!double.IsFinite(seconds)) return false;
                    time = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Floor(seconds * 1000));
                    return true;
                default:
                    return false;
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    private static CborValue? Find(CborValue.Map map, long label)
    {
        foreach (var (key, value) in map.Entries)
            if (key is CborValue.Integer i && i.Value == label) return value;
        return null;
    }

    private static CborValue? Find(CborValue.Map map, string name)
    {
        foreach (var (key, value) in map.Entries)
            if (key is CborValue.Text t && t.Value == name) return value;
        return null;
    }

    private static string Short(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
