using System.Diagnostics.CodeAnalysis;
using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Attest.Core.X509;

/// <summary>One extension of a certificate (RFC 5280 §4.1 <c>Extension</c>): its OID, criticality and extnValue contents.</summary>
public readonly record struct CertificateExtension(string Oid, bool Critical, ReadOnlyMemory<byte> Value);

/// <summary>
/// The fields of a DER X.509 v3 certificate that verification needs, read with <see cref="AsnReader"/> in one pass
/// (RFC 5280 §4.1). Cheaper than <see cref="X509Certificate2"/>, which wraps a native object per certificate: bundle
/// verification reads one certificate per bundle and needs only these fields. Strict: DER only, no trailing bytes,
/// the signature algorithm inside and outside the TBSCertificate must be identical, no extension may repeat.
/// </summary>
public sealed class CertificateFields
{
    public const string ExtendedKeyUsageOid = "2.5.29.37";
    public const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";
    public const int MaxExtensions = 64;

    private CertificateFields(byte[] rawData) => RawData = rawData;

    /// <summary>The whole certificate, as parsed (shared, not copied: callers must not change it).</summary>
    public byte[] RawData { get; }

    /// <summary>The DER TBSCertificate: what the issuer signed.</summary>
    public ReadOnlyMemory<byte> TbsCertificate { get; private set; }

    public string SignatureAlgorithmOid { get; private set; } = "";

    /// <summary>The serial number's content octets as encoded (big-endian two's complement).</summary>
    public ReadOnlyMemory<byte> SerialNumber { get; private set; }

    /// <summary>The scheme the issuer signed this certificate with (ECDSA or RSA PKCS#1 v1.5 with SHA-2, Ed25519), or null
    /// for any other algorithm (SHA-1, RSASSA-PSS, unknown): such a certificate's signature is not verified.</summary>
    public Crypto.SignatureScheme? SignatureScheme => SignatureAlgorithmOid switch
    {
        "1.2.840.10045.4.3.2" => Crypto.SignatureScheme.EcdsaSha256,
        "1.2.840.10045.4.3.3" => Crypto.SignatureScheme.EcdsaSha384,
        "1.2.840.10045.4.3.4" => Crypto.SignatureScheme.EcdsaSha512,
        "1.2.840.113549.1.1.11" => Crypto.SignatureScheme.RsaPkcs1Sha256,
        "1.2.840.113549.1.1.12" => Crypto.SignatureScheme.RsaPkcs1Sha384,
        "1.2.840.113549.1.1.13" => Crypto.SignatureScheme.RsaPkcs1Sha512,
        "1.3.101.112" => Crypto.SignatureScheme.Ed25519,
        _ => null,
    };

    public ReadOnlyMemory<byte> Signature { get; private set; }

    /// <summary>DER of the issuer Name (compared byte for byte with the issuing CA's subject).</summary>
    public ReadOnlyMemory<byte> IssuerName { get; private set; }

    public ReadOnlyMemory<byte> SubjectName { get; private set; }

    public DateTimeOffset NotBefore { get; private set; }

    public DateTimeOffset NotAfter { get; private set; }

    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; private set; }

    public IReadOnlyList<CertificateExtension> Extensions { get; private set; } = [];

    /// <summary>A subject whose DER equals its issuer's (and is not empty) is self-issued: a root, or one claiming to be.</summary>
    public bool IsSelfIssued => SubjectName.Length > 2 && SubjectName.Span.SequenceEqual(IssuerName.Span);

    /// <summary>The extension with <paramref name="oid"/>, if present.</summary>
    public CertificateExtension? FindExtension(string oid)
    {
        foreach (var extension in Extensions)
            if (extension.Oid == oid) return extension;
        return null;
    }

    /// <summary>Whether the extended key usage extension lists code signing (absent extension: no).</summary>
    public bool AllowsCodeSigning()
    {
        if (FindExtension(ExtendedKeyUsageOid) is not { } eku) return false;
        try
        {
            var reader = new AsnReader(eku.Value, AsnEncodingRules.DER);
            var purposes = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (purposes.HasData)
                if (purposes.ReadObjectIdentifier() == CodeSigningOid) return true;
            return false;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>Names for messages (only computed when a message needs them).</summary>
    public static string DescribeName(ReadOnlyMemory<byte> name)
    {
        try
        {
            var text = new X500DistinguishedName(name.Span).Name;
            return text.Length == 0 ? "(empty)" : text;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return "(unreadable name)";
        }
    }

    /// <summary>Parses a DER certificate; <paramref name="der"/> is kept, not copied.</summary>
    public static bool TryParse(byte[] der, [NotNullWhen(true)] out CertificateFields? certificate, [NotNullWhen(false)] out string? error)
    {
        certificate = null;
        try
        {
            var result = new CertificateFields(der);
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            var outer = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var tbsEncoded = outer.ReadEncodedValue();
            var outerAlgorithm = outer.ReadEncodedValue();
            var signature = outer.ReadBitString(out var unused);
            outer.ThrowIfNotEmpty();
            if (unused != 0) return Fail("the signature bit string has unused bits", out error);

            var tbs = new AsnReader(tbsEncoded, AsnEncodingRules.DER).ReadSequence();
            var versionTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
            var version = 0;
            if (tbs.PeekTag().HasSameClassAndValue(versionTag))
            {
                var explicitVersion = tbs.ReadSequence(versionTag);
                if (!explicitVersion.TryReadInt32(out version) || version is < 0 or > 2) return Fail("the certificate version is not v1, v2 or v3", out error);
                explicitVersion.ThrowIfNotEmpty();
            }
            result.SerialNumber = tbs.ReadIntegerBytes();
            var innerAlgorithm = tbs.ReadEncodedValue();
            if (!innerAlgorithm.Span.SequenceEqual(outerAlgorithm.Span))
                return Fail("the signature algorithm inside the certificate differs from the one outside", out error);
            var algorithm = new AsnReader(outerAlgorithm, AsnEncodingRules.DER).ReadSequence();
            result.SignatureAlgorithmOid = algorithm.ReadObjectIdentifier();
            var issuer = tbs.ReadEncodedValue();
            new AsnReader(issuer, AsnEncodingRules.DER).ReadSequence();
            var validity = tbs.ReadSequence();
            result.NotBefore = ReadTime(validity);
            result.NotAfter = ReadTime(validity);
            validity.ThrowIfNotEmpty();
            var subject = tbs.ReadEncodedValue();
            new AsnReader(subject, AsnEncodingRules.DER).ReadSequence();
            var spki = tbs.ReadEncodedValue();
            new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
            // issuerUniqueID [1] and subjectUniqueID [2] (v2 and v3 only): read past.
            foreach (var tagValue in (ReadOnlySpan<int>)[1, 2])
            {
                if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, tagValue)))
                {
                    if (version < 1) return Fail("a v1 certificate carries a unique identifier", out error);
                    tbs.ReadEncodedValue();
                }
            }
            var extensions = new List<CertificateExtension>();
            var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(extensionsTag))
            {
                if (version != 2) return Fail("a certificate below v3 carries extensions", out error);
                var wrapper = tbs.ReadSequence(extensionsTag);
                var list = wrapper.ReadSequence();
                wrapper.ThrowIfNotEmpty();
                if (!list.HasData) return Fail("the certificate's extension list is empty", out error);
                while (list.HasData)
                {
                    if (extensions.Count == MaxExtensions) return Fail($"the certificate has more than {MaxExtensions} extensions", out error);
                    var extension = list.ReadSequence();
                    var oid = extension.ReadObjectIdentifier();
                    var critical = extension.HasData && extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
                    if (!extension.TryReadPrimitiveOctetString(out var value)) return Fail($"extension {oid} has a constructed value", out error);
                    extension.ThrowIfNotEmpty();
                    foreach (var seen in extensions)
                        if (seen.Oid == oid) return Fail($"the certificate repeats extension {oid}", out error);
                    extensions.Add(new CertificateExtension(oid, critical, value));
                }
            }
            tbs.ThrowIfNotEmpty();

            result.TbsCertificate = tbsEncoded;
            result.Signature = signature;
            result.IssuerName = issuer;
            result.SubjectName = subject;
            result.SubjectPublicKeyInfo = spki;
            result.Extensions = extensions;
            certificate = result;
            error = null;
            return true;
        }
        catch (AsnContentException e)
        {
            return Fail($"not a DER X.509 certificate ({e.Message})", out error);
        }
    }

    private static DateTimeOffset ReadTime(AsnReader validity) =>
        validity.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime)
            ? validity.ReadUtcTime() // RFC 5280 §4.1.2.5.1: YY < 50 is 20YY (AsnReader's default two-digit year maximum is 2049)
            : validity.ReadGeneralizedTime();

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }
}
