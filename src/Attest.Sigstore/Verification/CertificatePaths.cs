using System.Security.Cryptography.X509Certificates;
using Attest.Sigstore.TrustRoot;

namespace Attest.Sigstore.Verification;

/// <summary>RFC 5280 path validation against one trusted-root authority at a given time, with no revocation and no downloads.</summary>
internal static class CertificatePaths
{
    /// <summary>Builds leaf → authority chain at <paramref name="time"/>; returns the issuer of the leaf, or null when no valid path exists.</summary>
    public static X509Certificate2? TryBuild(X509Certificate2 leaf, CertificateAuthority authority, DateTimeOffset time, out string? problem)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.Add(authority.Anchor);
        for (var i = 0; i < authority.Certificates.Count - 1; i++) policy.ExtraStore.Add(authority.Certificates[i]);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = time.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        if (chain.Build(leaf))
        {
            problem = null;
            return chain.ChainElements.Count > 1 ? chain.ChainElements[1].Certificate : authority.Anchor;
        }
        problem = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        if (problem.Length == 0) problem = string.Join(", ", chain.ChainStatus.Select(s => s.Status));
        return null;
    }
}
