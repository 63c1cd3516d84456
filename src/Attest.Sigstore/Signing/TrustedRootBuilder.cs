using System.Buffers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Attest.Core.Crypto;
using Attest.Sigstore.TrustRoot;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Sigstore.Signing;

/// <summary>
/// Writes a trusted_root.json (<see cref="TrustedRoot.MediaTypeV01"/>) that publishes what verifiers need: transparency
/// logs (key, log ID = SHA-256 of the SPKI, validity), Fulcio-style CAs, CT logs and timestamp authorities.
/// </summary>
public sealed class TrustedRootBuilder
{
    private readonly List<Log> _tlogs = [];
    private readonly List<Log> _ctlogs = [];
    private readonly List<Authority> _cas = [];
    private readonly List<Authority> _tsas = [];

    private sealed record Log(string BaseUrl, byte[] PublicKeyInfo, string KeyDetails, DateTimeOffset Start, DateTimeOffset? End);

    private sealed record Authority(string Uri, string Organization, string CommonName, IReadOnlyList<X509Certificate2> Chain, DateTimeOffset Start, DateTimeOffset? End);

    /// <summary>A Rekor log: its SPKI DER key, valid from <paramref name="validFrom"/>.</summary>
    public TrustedRootBuilder AddTransparencyLog(string baseUrl, ReadOnlySpan<byte> publicKeyInfo, DateTimeOffset validFrom, DateTimeOffset? validUntil = null)
    {
        _tlogs.Add(ReadLog(baseUrl, publicKeyInfo, validFrom, validUntil));
        return this;
    }

    /// <summary>A certificate transparency log whose SCTs verifiers accept.</summary>
    public TrustedRootBuilder AddCertificateTransparencyLog(string baseUrl, ReadOnlySpan<byte> publicKeyInfo, DateTimeOffset validFrom, DateTimeOffset? validUntil = null)
    {
        _ctlogs.Add(ReadLog(baseUrl, publicKeyInfo, validFrom, validUntil));
        return this;
    }

    /// <summary>A Fulcio-style CA; <paramref name="chain"/> runs from the issuing certificate to the root (the trust anchor last).</summary>
    public TrustedRootBuilder AddCertificateAuthority(string uri, IReadOnlyList<X509Certificate2> chain, DateTimeOffset validFrom, DateTimeOffset? validUntil = null)
    {
        _cas.Add(ReadAuthority(uri, chain, validFrom, validUntil));
        return this;
    }

    /// <summary>An RFC 3161 timestamp authority; <paramref name="chain"/> runs from the TSA's signing certificate to its root.</summary>
    public TrustedRootBuilder AddTimestampAuthority(string uri, IReadOnlyList<X509Certificate2> chain, DateTimeOffset validFrom, DateTimeOffset? validUntil = null)
    {
        _tsas.Add(ReadAuthority(uri, chain, validFrom, validUntil));
        return this;
    }

    /// <summary>The trusted root JSON (indented, UTF-8).</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, BundleBuilder.WriterOptions with { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", TrustedRoot.MediaTypeV01);
            WriteLogs(w, "tlogs", _tlogs);
            WriteAuthorities(w, "certificateAuthorities", _cas);
            WriteLogs(w, "ctlogs", _ctlogs);
            WriteAuthorities(w, "timestampAuthorities", _tsas);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses what <see cref="ToJson"/> writes, for in-process verifiers.</summary>
    public TrustedRoot Build() => TrustedRoot.Parse(ToJson());

    private static Log ReadLog(string baseUrl, ReadOnlySpan<byte> publicKeyInfo, DateTimeOffset validFrom, DateTimeOffset? validUntil)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseUrl);
        if (!PublicKey.TryParseSubjectPublicKeyInfo(publicKeyInfo, out var key, out var error))
            throw new ArgumentException($"the log key is not a usable SubjectPublicKeyInfo: {error}", nameof(publicKeyInfo));
        if (validUntil < validFrom) throw new ArgumentException("the validity ends before it starts", nameof(validUntil));
        return new Log(baseUrl, publicKeyInfo.ToArray(), KeyDetails(key), validFrom, validUntil);
    }

    private static Authority ReadAuthority(string uri, IReadOnlyList<X509Certificate2> chain, DateTimeOffset validFrom, DateTimeOffset? validUntil)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0) throw new ArgumentException("a chain needs at least its root", nameof(chain));
        if (validUntil < validFrom) throw new ArgumentException("the validity ends before it starts", nameof(validUntil));
        var subject = chain[0].SubjectName;
        return new Authority(uri, Rdn(subject, "O"), Rdn(subject, "CN"), [.. chain], validFrom, validUntil);
    }

    /// <summary>protobuf-specs PublicKeyDetails of a key.</summary>
    private static string KeyDetails(PublicKey key) => key.Algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => "PKIX_ECDSA_P256_SHA_256",
        KeyAlgorithm.EcdsaP384 => "PKIX_ECDSA_P384_SHA_384",
        KeyAlgorithm.EcdsaP521 => "PKIX_ECDSA_P521_SHA_512",
        KeyAlgorithm.Ed25519 => "PKIX_ED25519",
        _ => "PKIX_RSA_PKCS1V15_2048_SHA256",
    };

    private static string Rdn(X500DistinguishedName name, string type)
    {
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            var oid = rdn.GetSingleElementType().Value;
            if ((type == "O" && oid == "2.5.4.10") || (type == "CN" && oid == "2.5.4.3")) return rdn.GetSingleElementValue() ?? "";
        }
        return "";
    }

    private static void WriteLogs(Utf8JsonWriter w, string name, List<Log> logs)
    {
        w.WriteStartArray(name);
        foreach (var log in logs)
        {
            w.WriteStartObject();
            w.WriteString("baseUrl", log.BaseUrl);
            w.WriteString("hashAlgorithm", "SHA2_256");
            w.WriteStartObject("publicKey");
            w.WriteString("rawBytes", Convert.ToBase64String(log.PublicKeyInfo));
            w.WriteString("keyDetails", log.KeyDetails);
            WriteValidity(w, log.Start, log.End);
            w.WriteEndObject();
            w.WriteStartObject("logId");
            w.WriteString("keyId", Convert.ToBase64String(SHA256.HashData(log.PublicKeyInfo)));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteAuthorities(Utf8JsonWriter w, string name, List<Authority> authorities)
    {
        w.WriteStartArray(name);
        foreach (var authority in authorities)
        {
            w.WriteStartObject();
            w.WriteStartObject("subject");
            w.WriteString("organization", authority.Organization);
            w.WriteString("commonName", authority.CommonName);
            w.WriteEndObject();
            w.WriteString("uri", authority.Uri);
            w.WriteStartObject("certChain");
            w.WriteStartArray("certificates");
            foreach (var certificate in authority.Chain)
            {
                w.WriteStartObject();
                w.WriteString("rawBytes", Convert.ToBase64String(certificate.RawData));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            WriteValidity(w, authority.Start, authority.End);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteValidity(Utf8JsonWriter w, DateTimeOffset start, DateTimeOffset? end)
    {
        w.WriteStartObject("validFor");
        w.WriteString("start", start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        if (end is { } e) w.WriteString("end", e.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }
}
