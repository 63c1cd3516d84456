using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Attest.Testing;

/// <summary>Self-signed TLS certificates for 127.0.0.1, as a cluster's webhook certificate would be.</summary>
public static class TestCertificates
{
    /// <summary>Creates a certificate for 127.0.0.1 and writes <c>tls.crt</c> and <c>tls.key</c> (PEM) into the directory.</summary>
    public static (X509Certificate2 Certificate, string CertificateFile, string KeyFile) CreateLoopbackTls(string directory)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=attest-webhook.test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificateFile = Path.Combine(directory, "tls.crt");
        var keyFile = Path.Combine(directory, "tls.key");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (X509CertificateLoader.LoadCertificate(certificate.RawData), certificateFile, keyFile);
    }
}
