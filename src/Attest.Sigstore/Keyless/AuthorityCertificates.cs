using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Attest.Sigstore.Keyless;

/// <summary>
/// The certificates of a private Sigstore, made once when no operator-provided ones are configured: a CA root and the
/// intermediate that issues code-signing leaves (as Fulcio's), and a timestamp authority root with its signing
/// certificate (critical timeStamping EKU, as RFC 3161 §2.3 requires).
/// </summary>
public static class AuthorityCertificates
{
    public const string TimeStampingOid = "1.3.6.1.5.5.7.3.8";

    /// <summary>A self-signed root that may sign one level of CA below it.</summary>
    public static X509Certificate2 CreateRoot(ECDsa key, string subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var request = new CertificateRequest(subject, key, HashOf(key));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(notBefore, notAfter);
        return X509CertificateLoader.LoadCertificate(certificate.RawData);
    }

    /// <summary>An intermediate CA under <paramref name="root"/> that issues end-entity code-signing certificates only.</summary>
    public static X509Certificate2 CreateIntermediate(X509Certificate2 root, ECDsa rootKey, ECDsa key, string subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var request = new CertificateRequest(subject, key, HashOf(rootKey));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CertificateAuthority.CodeSigningOid)], false));
        return Issue(request, root, rootKey, notBefore, notAfter);
    }

    /// <summary>A timestamping certificate under <paramref name="root"/>: digitalSignature, critical timeStamping EKU only.</summary>
    public static X509Certificate2 CreateTimestamping(X509Certificate2 root, ECDsa rootKey, ECDsa key, string subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var request = new CertificateRequest(subject, key, HashOf(rootKey));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(TimeStampingOid)], true));
        return Issue(request, root, rootKey, notBefore, notAfter);
    }

    private static X509Certificate2 Issue(CertificateRequest request, X509Certificate2 issuer, ECDsa issuerKey, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        serial[0] |= 0x01;
        if (notAfter > issuer.NotAfter) notAfter = issuer.NotAfter;
        using var certificate = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, notAfter, serial);
        return X509CertificateLoader.LoadCertificate(certificate.RawData);
    }

    private static HashAlgorithmName HashOf(ECDsa key) =>
        key.KeySize switch { > 384 => HashAlgorithmName.SHA512, > 256 => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA256 };
}
