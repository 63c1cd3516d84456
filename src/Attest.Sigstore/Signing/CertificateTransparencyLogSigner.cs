using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Sigstore.Verification;

namespace Attest.Sigstore.Signing;

/// <summary>
/// A certificate transparency log's signing half, enough for a Fulcio-style CA to embed SCTs: signs v1 SCTs over a
/// precertificate (RFC 6962 §3.2, precert_entry with the issuer key hash) with an ECDSA P-256 key and encodes them as
/// the SignedCertificateTimestampList extension (1.3.6.1.4.1.11129.2.4.2). Keeps no log; for tests and local CAs.
/// </summary>
public sealed class CertificateTransparencyLogSigner
{
    private readonly ECDsa _key;
    private readonly TimeProvider _time;

    /// <param name="key">The CT log's P-256 key (not owned).</param>
    public CertificateTransparencyLogSigner(ECDsa key, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(time);
        if (key.KeySize != 256) throw new ArgumentException("the CT log key must be ECDSA P-256", nameof(key));
        _key = key;
        _time = time;
        PublicKeyInfo = key.ExportSubjectPublicKeyInfo();
        LogId = SHA256.HashData(PublicKeyInfo);
    }

    /// <summary>DER SubjectPublicKeyInfo of the log key, as the trusted root's <c>ctlogs</c> list it.</summary>
    public byte[] PublicKeyInfo { get; }

    /// <summary>RFC 6962 log ID: SHA-256 of <see cref="PublicKeyInfo"/>.</summary>
    public byte[] LogId { get; }

    /// <summary>
    /// Signs an SCT for <paramref name="precertificate"/> (the leaf as it will be issued, without the SCT extension) and
    /// returns the extension to add as the leaf's last extension. The leaf must then be issued with exactly the
    /// precertificate's fields, so that removing the extension gives back the TBSCertificate signed here.
    /// </summary>
    public X509Extension CreateSctListExtension(X509Certificate2 precertificate, X509Certificate2 issuer)
    {
        ArgumentNullException.ThrowIfNull(precertificate);
        return CreateSctListExtension(precertificate.RawData, issuer);
    }

    /// <inheritdoc cref="CreateSctListExtension(X509Certificate2, X509Certificate2)"/>
    /// <param name="precertificate">The precertificate's DER; a precertificate poison extension in it is not signed (RFC 6962 §3.2).</param>
    public X509Extension CreateSctListExtension(byte[] precertificate, X509Certificate2 issuer)
    {
        ArgumentNullException.ThrowIfNull(precertificate);
        ArgumentNullException.ThrowIfNull(issuer);
        var tbs = SctStep.PrecertificateTbs(precertificate);
        var issuerKeyHash = SHA256.HashData(issuer.PublicKey.ExportSubjectPublicKeyInfo());
        var timestamp = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds();
        // hash_algorithm sha256 (4), signature_algorithm ecdsa (3), no SCT extensions.
        var unsigned = new SctStep.Sct(0, LogId, timestamp, [], 4, 3, []);
        var signature = _key.SignData(SctStep.SignedData(unsigned, issuerKeyHash, tbs), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        // struct { Version; LogID; uint64 timestamp; CtExtensions<0..2^16-1>; DigitallySigned } (RFC 6962 §3.2, TLS encoding).
        var sct = new byte[1 + 32 + 8 + 2 + 1 + 1 + 2 + signature.Length];
        var span = sct.AsSpan();
        span[0] = 0;
        LogId.CopyTo(span[1..]);
        BinaryPrimitives.WriteUInt64BigEndian(span[33..], timestamp);
        BinaryPrimitives.WriteUInt16BigEndian(span[41..], 0);
        span[43] = 4;
        span[44] = 3;
        BinaryPrimitives.WriteUInt16BigEndian(span[45..], (ushort)signature.Length);
        signature.CopyTo(span[47..]);

        // SignedCertificateTimestampList: opaque SerializedSCT<1..2^16-1> list<1..2^16-1>, in an OCTET STRING (§3.3).
        var list = new byte[2 + 2 + sct.Length];
        BinaryPrimitives.WriteUInt16BigEndian(list, (ushort)(2 + sct.Length));
        BinaryPrimitives.WriteUInt16BigEndian(list.AsSpan(2), (ushort)sct.Length);
        sct.CopyTo(list, 4);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(list);
        return new X509Extension(SctStep.SctListOid, writer.Encode(), critical: false);
    }
}
