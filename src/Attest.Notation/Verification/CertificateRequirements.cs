using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Core.Crypto;
using Attest.Core.X509;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Notation.Verification;

/// <summary>Which kind of chain: code signing (the envelope's x5c / x5chain) or timestamping (the TSA's).</summary>
public enum ChainPurpose
{
    CodeSigning,
    Timestamping,
}

/// <summary>
/// The certificate requirements of signature-specification.md ("Certificate Requirements") and the checks of an
/// ordered chain: each certificate issued and signed by the next, the last a self-signed root, no certificate twice
/// (a chain that loops is refused, not followed), no SHA-1, CA certificates with critical basicConstraints cA=true,
/// keyUsage keyCertSign and path length honoured, the leaf with keyUsage digitalSignature only and the extended key
/// usage its purpose allows, RSA keys of 2048 bits or more and EC keys of 256 or more. Only basicConstraints,
/// keyUsage and extendedKeyUsage are evaluated; other extensions are not (the specification says to fail open on them).
/// </summary>
public static class CertificateRequirements
{
    private const string BasicConstraintsOid = "2.5.29.19";
    private const string KeyUsageOid = "2.5.29.15";
    private const string ExtendedKeyUsageOid = "2.5.29.37";
    private const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";

    private static readonly HashSet<string> CodeSigningForbiddenEku = new(StringComparer.Ordinal)
    {
        "2.5.29.37.0", "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4", TimeStampingEku,
    };

    /// <summary>A certificate read both ways: .NET's object (keys, names) and the raw fields (TBS and signature).</summary>
    public sealed record ChainCertificate(X509Certificate2 Certificate, CertificateFields Fields)
    {
        public string Subject => Certificate.Subject.Length == 0 ? "(empty subject)" : Certificate.Subject;
    }

    /// <summary>Reads DER certificates; null with the problem if one is not a certificate or one repeats.</summary>
    public static IReadOnlyList<ChainCertificate>? Read(IReadOnlyList<byte[]> ders, out string? problem)
    {
        problem = null;
        if (ders.Count is 0 or > NotationLimits.MaxChainLength)
        {
            problem = $"the chain must hold 1 to {NotationLimits.MaxChainLength} certificates, not {ders.Count}";
            return null;
        }
        var result = new List<ChainCertificate>(ders.Count);
        for (var i = 0; i < ders.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (ders[j].AsSpan().SequenceEqual(ders[i]))
                {
                    problem = $"certificate {i} repeats certificate {j}: the chain loops";
                    return null;
                }
            }
            if (!CertificateFields.TryParse(ders[i], out var fields, out var parseError))
            {
                problem = $"certificate {i} cannot be read: {parseError}";
                return null;
            }
            try
            {
                result.Add(new ChainCertificate(X509CertificateLoader.LoadCertificate(ders[i]), fields));
            }
            catch (CryptographicException e)
            {
                problem = $"certificate {i} cannot be read: {e.Message}";
                return null;
            }
        }
        return result;
    }

    /// <summary>Checks an ordered chain (leaf first, root last); null when it meets every requirement.</summary>
    public static string? CheckOrderedChain(IReadOnlyList<ChainCertificate> chain, ChainPurpose purpose)
    {
        for (var i = 0; i < chain.Count; i++)
        {
            var certificate = chain[i];
            var issuer = i + 1 < chain.Count ? chain[i + 1] : certificate;
            if (!certificate.Fields.IssuerName.Span.SequenceEqual(issuer.Fields.SubjectName.Span))
            {
                return i + 1 < chain.Count
                    ? $"certificate {i} ('{certificate.Subject}') is not issued by the next one ('{issuer.Subject}'): the chain is out of order or holds an unrelated certificate"
                    : $"the last certificate ('{certificate.Subject}') is not a self-issued root";
            }
            if (VerifySignature(certificate.Fields, issuer.Certificate) is { } signatureProblem)
                return $"certificate {i} ('{certificate.Subject}'): {signatureProblem}";
            var isLeaf = i == 0;
            var problem = isLeaf ? CheckLeaf(certificate, purpose) : CheckCa(certificate, purpose, i - 1);
            if (problem is not null) return $"certificate {i} ('{certificate.Subject}'): {problem}";
        }
        return null;
    }

    /// <summary>The first certificate of the chain not valid at <paramref name="time"/>, described; null when all are.
    /// Validity periods are not required to nest (the specification forbids enforcing that).</summary>
    public static string? InvalidAt(IEnumerable<ChainCertificate> chain, DateTimeOffset time)
    {
        foreach (var certificate in chain)
        {
            if (time < certificate.Fields.NotBefore || time > certificate.Fields.NotAfter)
                return $"'{certificate.Subject}' is valid from {certificate.Fields.NotBefore:O} to {certificate.Fields.NotAfter:O}, not at {time:O}";
        }
        return null;
    }

    /// <summary>Verifies a certificate's signature with its issuer's key (PKCS#1 v1.5 or ECDSA with SHA-2; SHA-1 refused).</summary>
    public static string? VerifySignature(CertificateFields certificate, X509Certificate2 issuer)
    {
        var scheme = certificate.SignatureScheme;
        if (scheme is null)
        {
            return certificate.SignatureAlgorithmOid is "1.2.840.113549.1.1.5" or "1.2.840.10045.4.1"
                ? "it is signed with SHA-1, which the specification forbids"
                : $"its signature algorithm {certificate.SignatureAlgorithmOid} is not supported";
        }
        PublicKey key;
        try
        {
            key = PublicKey.FromCertificate(issuer);
        }
        catch (CryptographicException e)
        {
            return $"the issuer's key cannot be used ({e.Message})";
        }
        return key.VerifyData(certificate.TbsCertificate.Span, certificate.Signature.Span, scheme.Value)
            ? null
            : "its signature does not verify with the issuer's key";
    }

    private static string? CheckCa(ChainCertificate certificate, ChainPurpose purpose, int intermediatesBelow)
    {
        var fields = certificate.Fields;
        if (fields.FindExtension(BasicConstraintsOid) is not { } basic || !basic.Critical)
            return "a CA certificate needs a critical basicConstraints extension";
        if (!TryReadBasicConstraints(basic.Value, out var isCa, out var pathLength)) return "its basicConstraints extension cannot be read";
        if (!isCa) return "it is not a CA (basicConstraints cA is false) but issues the certificate before it";
        if (pathLength is int max && intermediatesBelow > max)
            return $"its path length constraint {max} is exceeded ({intermediatesBelow} intermediate certificates below it)";
        if (fields.FindExtension(KeyUsageOid) is not { } usage) return "a CA certificate needs a keyUsage extension";
        if (purpose == ChainPurpose.CodeSigning && !usage.Critical) return "the keyUsage extension of a code signing CA must be critical";
        if (!TryReadKeyUsage(usage.Value, out var flags)) return "its keyUsage extension cannot be read";
        if (!flags.HasFlag(X509KeyUsageFlags.KeyCertSign)) return "a CA certificate must allow keyCertSign";
        return null;
    }

    private static string? CheckLeaf(ChainCertificate certificate, ChainPurpose purpose)
    {
        var fields = certificate.Fields;
        if (fields.FindExtension(BasicConstraintsOid) is { } basic)
        {
            if (!TryReadBasicConstraints(basic.Value, out var isCa, out _)) return "its basicConstraints extension cannot be read";
            if (isCa) return "the signing certificate is a CA (basicConstraints cA is true)";
        }
        if (fields.FindExtension(KeyUsageOid) is not { } usage) return "the signing certificate needs a keyUsage extension";
        if (purpose == ChainPurpose.CodeSigning && !usage.Critical) return "the keyUsage extension of a code signing certificate must be critical";
        if (!TryReadKeyUsage(usage.Value, out var flags)) return "its keyUsage extension cannot be read";
        if (!flags.HasFlag(X509KeyUsageFlags.DigitalSignature)) return "the signing certificate must allow digitalSignature";
        const X509KeyUsageFlags forbidden = X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment |
            X509KeyUsageFlags.KeyAgreement | X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.EncipherOnly |
            X509KeyUsageFlags.DecipherOnly | X509KeyUsageFlags.CrlSign;
        if ((flags & forbidden) != 0) return $"the signing certificate's keyUsage allows {flags & forbidden}, which a signing certificate must not";

        var eku = fields.FindExtension(ExtendedKeyUsageOid);
        List<string>? purposes = null;
        if (eku is { } ekuExtension && !TryReadEku(ekuExtension.Value, out purposes)) return "its extendedKeyUsage extension cannot be read";
        if (purpose == ChainPurpose.CodeSigning)
        {
            if (purposes?.FirstOrDefault(CodeSigningForbiddenEku.Contains) is { } bad)
                return $"the signing certificate's extendedKeyUsage lists {bad}, which a code signing certificate must not";
        }
        else
        {
            if (eku is null || !eku.Value.Critical || purposes is not [TimeStampingEku])
                return "a timestamping certificate needs a critical extendedKeyUsage of timeStamping only";
        }
        return KeyLengthProblem(certificate.Certificate);
    }

    private static string? KeyLengthProblem(X509Certificate2 certificate)
    {
        using (var rsa = certificate.GetRSAPublicKey())
            if (rsa is not null) return rsa.KeySize < 2048 ? $"its RSA key has {rsa.KeySize} bits, fewer than 2048" : null;
        using (var ec = certificate.GetECDsaPublicKey())
            if (ec is not null) return ec.KeySize < 256 ? $"its EC key has {ec.KeySize} bits, fewer than 256" : null;
        return $"its key algorithm {certificate.PublicKey.Oid.Value} is not RSA or ECDSA";
    }

    private static bool TryReadBasicConstraints(ReadOnlyMemory<byte> value, out bool isCa, out int? pathLength)
    {
        isCa = false;
        pathLength = null;
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean)) isCa = sequence.ReadBoolean();
            if (sequence.HasData)
            {
                if (!sequence.TryReadInt32(out var length) || length < 0) return false;
                pathLength = length;
            }
            sequence.ThrowIfNotEmpty();
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static bool TryReadKeyUsage(ReadOnlyMemory<byte> value, out X509KeyUsageFlags flags)
    {
        flags = X509KeyUsageFlags.None;
        try
        {
            flags = new X509KeyUsageExtension(new AsnEncodedData(value.Span), critical: false).KeyUsages;
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool TryReadEku(ReadOnlyMemory<byte> value, out List<string> purposes)
    {
        purposes = [];
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (sequence.HasData) purposes.Add(sequence.ReadObjectIdentifier());
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
