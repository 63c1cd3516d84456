using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Attest.Core.Crypto;

/// <summary>Server certificate checks for TLS clients that trust configured certificate authorities.</summary>
public static class TlsTrust
{
    /// <summary>
    /// Accepts a server certificate whose name matches and that chains to one of <paramref name="anchors"/> (no
    /// revocation check: private CAs rarely publish any), or, when <paramref name="orSystemStore"/>, one the system
    /// store already accepts. Any other error (a name mismatch, no certificate) is final.
    /// </summary>
    public static RemoteCertificateValidationCallback ChainsTo(X509Certificate2Collection anchors, bool orSystemStore) =>
        (_, certificate, _, errors) =>
        {
            if (certificate is null) return false;
            if (orSystemStore && errors == SslPolicyErrors.None) return true;
            if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return chain.Build(leaf);
        };
}
