using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Attest.Core.X509;

public enum SubjectAlternativeNameKind
{
    Email,
    Dns,
    Uri,
    /// <summary>OtherName 1.3.6.1.4.1.57264.1.7 (Sigstore username, UTF8String).</summary>
    SigstoreUsername,
    OtherName,
    Other,
}

/// <summary>One GeneralName of a subjectAltName extension (RFC 5280 §4.2.1.6).</summary>
public sealed record SubjectAlternativeName(SubjectAlternativeNameKind Kind, string Value)
{
    public const string ExtensionOid = "2.5.29.17";
    public const string SigstoreUsernameOid = "1.3.6.1.4.1.57264.1.7";
    public const int MaxNames = 64;

    /// <summary>Reads every name of the certificate's SAN extension; none when the extension is absent.</summary>
    public static IReadOnlyList<SubjectAlternativeName> Read(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
            if (extension.Oid?.Value == ExtensionOid) return Parse(extension.RawData);
        return [];
    }

    /// <summary>Reads every name of the certificate's SAN extension; none when the extension is absent.</summary>
    public static IReadOnlyList<SubjectAlternativeName> Read(CertificateFields certificate) =>
        certificate.FindExtension(ExtensionOid) is { } extension ? Parse(extension.Value) : [];

    /// <summary>Parses the extension value (GeneralNames). Throws <see cref="CryptographicException"/> on malformed DER.</summary>
    public static IReadOnlyList<SubjectAlternativeName> Parse(ReadOnlyMemory<byte> extensionValue)
    {
        try
        {
            var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var result = new List<SubjectAlternativeName>();
            while (names.HasData)
            {
                if (result.Count == MaxNames) throw new CryptographicException($"subjectAltName has more than {MaxNames} names");
                var tag = names.PeekTag();
                if (tag.TagClass != TagClass.ContextSpecific)
                {
                    names.ReadEncodedValue();
                    result.Add(new SubjectAlternativeName(SubjectAlternativeNameKind.Other, ""));
                    continue;
                }
                switch (tag.TagValue)
                {
                    case 0: // otherName [0] { type-id OID, value [0] EXPLICIT ANY }
                        var other = names.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
                        var typeId = other.ReadObjectIdentifier();
                        var explicitValue = other.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
                        if (typeId == SigstoreUsernameOid)
                        {
                            var username = explicitValue.ReadCharacterString(UniversalTagNumber.UTF8String);
                            explicitValue.ThrowIfNotEmpty();
                            result.Add(new SubjectAlternativeName(SubjectAlternativeNameKind.SigstoreUsername, username));
                        }
                        else
                        {
                            explicitValue.ReadEncodedValue();
                            result.Add(new SubjectAlternativeName(SubjectAlternativeNameKind.OtherName, typeId));
                        }
                        other.ThrowIfNotEmpty();
                        break;
                    case 1:
                        result.Add(new SubjectAlternativeName(SubjectAlternativeNameKind.Email, ReadIa5(names, 1)));
                        break;
                    case 2:
                        result.Add(new SubjectAlternativeName(SubjectAlternativeNameKind.Dns, ReadIa5(names, 2)));
                        break;
                    case 6:
                        result.Add(new SubjectAlternativeName(SubjectAlternativeNameKind.Uri, ReadIa5(names, 6)));
                        break;
                    default:
                        names.ReadEncodedValue();
                        result.Add(new SubjectAlternativeName(SubjectAlternativeNameKind.Other, ""));
                        break;
                }
            }
            return result;
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException($"subjectAltName is not valid DER ({e.Message})", e);
        }
    }

    private static string ReadIa5(AsnReader reader, int tagValue)
    {
        var bytes = reader.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, tagValue));
        foreach (var b in bytes)
            if (b > 0x7f) throw new CryptographicException("IA5String name contains a non-ASCII byte");
        return Encoding.ASCII.GetString(bytes);
    }
}
