using System.Formats.Cbor;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Notation.Envelopes;

namespace Attest.Notation.Signing;

/// <summary>A signed attribute beyond the standard ones, as a signer adds it (string values, as Notation's plugins do).</summary>
public sealed record SignedAttribute(string Key, string Value, bool Critical);

/// <summary>What to sign and with what: the payload, the chain (signing certificate first, root last) and its key.</summary>
public sealed record NotationSignRequest
{
    public required byte[] Payload { get; init; }

    public string ContentType { get; init; } = NotationMediaTypes.Payload;

    public required IReadOnlyList<X509Certificate2> CertificateChain { get; init; }

    /// <summary>The signing certificate's private key (RSA or ECDSA).</summary>
    public required AsymmetricAlgorithm Key { get; init; }

    public SigningScheme Scheme { get; init; } = SigningScheme.X509;

    /// <summary>The signing time, or under notary.x509.signingAuthority the authentic signing time.</summary>
    public required DateTimeOffset SigningTime { get; init; }

    public DateTimeOffset? Expiry { get; init; }

    public IReadOnlyList<SignedAttribute> ExtendedAttributes { get; init; } = [];

    public string? SigningAgent { get; init; }

    /// <summary>Obtains an RFC 3161 TimeStampToken over the signature bytes (the countersignature), if wanted.</summary>
    public Func<byte[], byte[]>? Timestamper { get; init; }
}

/// <summary>
/// Produces Notary Project signatures in both envelope formats, byte-compatible with notation-core-go (its
/// conformance files check this): JWS protected headers as a JSON object with sorted member names, COSE protected
/// headers as a CBOR map in core deterministic key order, times as RFC 3339 (JWS) or tag-1 epoch seconds (COSE).
/// Used by the tests to make signatures from the specification, and available to anything that signs.
/// </summary>
public static class NotationSigner
{
    /// <summary>The payload of an OCI signature: <c>{"targetArtifact": {mediaType, digest, size}}</c>.</summary>
    public static byte[] Payload(string mediaType, Digest digest, long size)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("targetArtifact");
            writer.WriteString("digest", digest.ToString());
            writer.WriteString("mediaType", mediaType);
            writer.WriteNumber("size", size);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public static byte[] SignJws(NotationSignRequest request)
    {
        var algorithm = AlgorithmOf(request);
        var protectedText = JwsEncoding.ToBase64Url(JwsProtectedHeader(request, algorithm));
        var payloadText = JwsEncoding.ToBase64Url(request.Payload);
        var signature = Sign(request, algorithm, Encoding.ASCII.GetBytes(protectedText + "." + payloadText));
        var timestamp = request.Timestamper?.Invoke(signature);

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("payload", payloadText);
            writer.WriteString("protected", protectedText);
            writer.WriteStartObject("header");
            if (timestamp is not null) writer.WriteString(NotationMediaTypes.TimestampHeader, Convert.ToBase64String(timestamp));
            if (request.SigningAgent is not null) writer.WriteString(NotationMediaTypes.SigningAgentHeader, request.SigningAgent);
            writer.WriteStartArray("x5c");
            foreach (var certificate in request.CertificateChain) writer.WriteStringValue(Convert.ToBase64String(certificate.RawData));
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteString("signature", JwsEncoding.ToBase64Url(signature));
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public static byte[] SignCose(NotationSignRequest request)
    {
        var algorithm = AlgorithmOf(request);
        var protectedBytes = CoseProtectedHeader(request, algorithm);
        var signature = Sign(request, algorithm, CoseEnvelope.SigStructure(protectedBytes, request.Payload));
        var timestamp = request.Timestamper?.Invoke(signature);
        return AssembleCose(protectedBytes, request.CertificateChain.Select(c => c.RawData).ToList(), request.SigningAgent, timestamp, request.Payload, signature);
    }

    /// <summary>The JWS protected header: every member, standard and extended, sorted by name (as Go's encoding/json writes a map).</summary>
    internal static byte[] JwsProtectedHeader(NotationSignRequest request, NotationAlgorithm algorithm)
    {
        var members = new SortedDictionary<string, Action<Utf8JsonWriter>>(StringComparer.Ordinal);
        var critical = new List<string> { NotationMediaTypes.SigningSchemeHeader };
        foreach (var attribute in request.ExtendedAttributes)
        {
            members.Add(attribute.Key, w => w.WriteStringValue(attribute.Value));
            if (attribute.Critical) critical.Add(attribute.Key);
        }
        members.Add("alg", w => w.WriteStringValue(NotationAlgorithms.JwsName(algorithm)));
        members.Add("cty", w => w.WriteStringValue(request.ContentType));
        members.Add(NotationMediaTypes.SigningSchemeHeader, w => w.WriteStringValue(NotationMediaTypes.SchemeName(request.Scheme)));
        if (request.Scheme == SigningScheme.X509)
        {
            members.Add(NotationMediaTypes.SigningTimeHeader, w => w.WriteStringValue(Rfc3339(request.SigningTime)));
        }
        else
        {
            critical.Add(NotationMediaTypes.AuthenticSigningTimeHeader);
            members.Add(NotationMediaTypes.AuthenticSigningTimeHeader, w => w.WriteStringValue(Rfc3339(request.SigningTime)));
        }
        if (request.Expiry is { } expiry)
        {
            critical.Add(NotationMediaTypes.ExpiryHeader);
            members.Add(NotationMediaTypes.ExpiryHeader, w => w.WriteStringValue(Rfc3339(expiry)));
        }
        members.Add("crit", w =>
        {
            w.WriteStartArray();
            foreach (var name in critical) w.WriteStringValue(name);
            w.WriteEndArray();
        });

        using var buffer = new MemoryStream();
        // Go's encoding/json leaves '+' and non-ASCII as they are; the default encoder would escape them.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            foreach (var (name, write) in members)
            {
                writer.WritePropertyName(name);
                write(writer);
            }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The COSE protected header map: critical list [scheme, authentic time, expiry, extended…] as notation-core-go writes it.</summary>
    internal static byte[] CoseProtectedHeader(NotationSignRequest request, NotationAlgorithm algorithm)
    {
        var entries = new List<(byte[] Key, byte[] Value)>();
        var critical = new List<string> { NotationMediaTypes.SigningSchemeHeader };
        entries.Add((Encode(w => w.WriteInt32(1)), Encode(w => w.WriteInt32(NotationAlgorithms.CoseLabel(algorithm)))));
        entries.Add((Encode(w => w.WriteInt32(3)), Encode(w => w.WriteTextString(request.ContentType))));
        entries.Add((Text(NotationMediaTypes.SigningSchemeHeader), Encode(w => w.WriteTextString(NotationMediaTypes.SchemeName(request.Scheme)))));
        var timeLabel = request.Scheme == SigningScheme.X509 ? NotationMediaTypes.SigningTimeHeader : NotationMediaTypes.AuthenticSigningTimeHeader;
        if (request.Scheme == SigningScheme.X509SigningAuthority) critical.Add(NotationMediaTypes.AuthenticSigningTimeHeader);
        entries.Add((Text(timeLabel), EpochTime(request.SigningTime)));
        if (request.Expiry is { } expiry)
        {
            critical.Add(NotationMediaTypes.ExpiryHeader);
            entries.Add((Text(NotationMediaTypes.ExpiryHeader), EpochTime(expiry)));
        }
        foreach (var attribute in request.ExtendedAttributes)
        {
            entries.Add((Text(attribute.Key), Encode(w => w.WriteTextString(attribute.Value))));
            if (attribute.Critical) critical.Add(attribute.Key);
        }
        entries.Add((Encode(w => w.WriteInt32(2)), Encode(w =>
        {
            w.WriteStartArray(critical.Count);
            foreach (var name in critical) w.WriteTextString(name);
            w.WriteEndArray();
        })));
        return EncodeMap(entries);
    }

    /// <summary>COSE_Sign1_Tagged from its parts; the unprotected map holds the chain, the agent and the countersignature.</summary>
    internal static byte[] AssembleCose(byte[] protectedBytes, IReadOnlyList<byte[]>? chain, string? signingAgent, byte[]? timestamp, byte[] payload, byte[] signature)
    {
        var unprotected = new List<(byte[] Key, byte[] Value)>();
        if (chain is not null)
        {
            unprotected.Add((Encode(w => w.WriteInt32(33)), Encode(w =>
            {
                w.WriteStartArray(chain.Count);
                foreach (var der in chain) w.WriteByteString(der);
                w.WriteEndArray();
            })));
        }
        if (signingAgent is not null) unprotected.Add((Text(NotationMediaTypes.SigningAgentHeader), Encode(w => w.WriteTextString(signingAgent))));
        if (timestamp is not null) unprotected.Add((Text(NotationMediaTypes.TimestampHeader), Encode(w => w.WriteByteString(timestamp))));

        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteTag((CborTag)18);
        writer.WriteStartArray(4);
        writer.WriteByteString(protectedBytes);
        writer.WriteEncodedValue(EncodeMap(unprotected));
        writer.WriteByteString(payload);
        writer.WriteByteString(signature);
        writer.WriteEndArray();
        return writer.Encode();
    }

    private static NotationAlgorithm AlgorithmOf(NotationSignRequest request)
    {
        if (request.CertificateChain.Count == 0) throw new ArgumentException("the certificate chain is empty", nameof(request));
        return NotationAlgorithms.ForCertificate(request.CertificateChain[0], out var problem)
            ?? throw new ArgumentException($"the signing certificate cannot sign Notary signatures: {problem}", nameof(request));
    }

    private static byte[] Sign(NotationSignRequest request, NotationAlgorithm algorithm, byte[] data)
    {
        var hash = NotationAlgorithms.Hash(algorithm);
        return request.Key switch
        {
            RSA rsa => rsa.SignData(data, hash, RSASignaturePadding.Pss),
            ECDsa ec => ec.SignData(data, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            _ => throw new ArgumentException("the key is neither RSA nor ECDSA", nameof(request)),
        };
    }

    private static string Rfc3339(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds()).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static byte[] EpochTime(DateTimeOffset time) => Encode(w =>
    {
        w.WriteTag(CborTag.UnixTimeSeconds);
        w.WriteInt64(time.ToUnixTimeSeconds());
    });

    private static byte[] Text(string text) => Encode(w => w.WriteTextString(text));

    private static byte[] Encode(Action<CborWriter> write)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        write(writer);
        return writer.Encode();
    }

    /// <summary>A definite-length map with keys in bytewise order of their encodings (RFC 8949 §4.2.1, core deterministic).</summary>
    private static byte[] EncodeMap(List<(byte[] Key, byte[] Value)> entries)
    {
        entries.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(entries.Count);
        foreach (var (key, value) in entries)
        {
            writer.WriteEncodedValue(key);
            writer.WriteEncodedValue(value);
        }
        writer.WriteEndMap();
        return writer.Encode();
    }
}

/// <summary>base64url without padding (RFC 7515 §2).</summary>
internal static class JwsEncoding
{
    public static string ToBase64Url(ReadOnlySpan<byte> bytes) => JwsEnvelope.ToBase64Url(bytes);
}
