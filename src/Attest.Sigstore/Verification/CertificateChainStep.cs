using System.Security.Cryptography.X509Certificates;
using Attest.Core;

namespace Attest.Sigstore.Verification;

/// <summary>
/// The Fulcio leaf must chain to a certificate authority of the trusted root at every verified timestamp (hybrid model:
/// every certificate valid at that time, and the CA's validFor containing it), carry the codeSigning extended key usage,
/// and contain every integrated time the log claims. Intermediates come only from the trusted root.
/// (reference §1.1 steps 4f and 7; conformance intoto-expired-certificate, integrated-time-in-future, intoto-set-outside-signing-cert-validity,
/// intoto-tsa-timestamp-outside-cert-validity, rekor2-timestamp-with-incorrect-time, bundle-from-wrong-instance)
/// </summary>
internal sealed class CertificateChainStep : IVerificationStep
{
    public Finding? Verify(VerificationContext context)
    {
        if (context.Bundle.LeafFields is not { } leaf) return null; // key-signed: see KeyValidityStep
        var notBefore = leaf.NotBefore;
        var notAfter = leaf.NotAfter;

        foreach (var (entry, log, _) in context.Entries)
        {
            if (entry.IntegratedTime == 0) continue;
            var integrated = DateTimeOffset.FromUnixTimeSeconds(Math.Min(entry.IntegratedTime, 253402300799));
            if (integrated < notBefore || integrated > notAfter)
            {
                return VerificationContext.Finding(SigstoreCodes.TlogIntegratedTimeOutsideCertificate,
                    $"Transparency log entry {entry.LogIndex} was integrated at {integrated:O}, outside the signing certificate's validity [{notBefore:O}, {notAfter:O}].");
            }
        }

        if (!leaf.AllowsCodeSigning())
            return VerificationContext.Finding(SigstoreCodes.CertificateCodeSigning, "The signing certificate does not allow code signing (extended key usage 1.3.6.1.5.5.7.3.3 missing).");

        // Without any verified timestamp (only when the options allow it), the certificate must be valid now.
        IReadOnlyList<VerifiedTimestamp> times = context.Timestamps.Count > 0
            ? context.Timestamps
            : [new VerifiedTimestamp(TimestampSource.CurrentTime, context.Time.GetUtcNow(), "the verifier's clock")];
        foreach (var timestamp in times)
        {
            X509Certificate2? issuer = null;
            string? problem = null;
            var anyAuthority = false;
            foreach (var authority in context.TrustedRoot.CertificateAuthorities)
            {
                if (!authority.ValidFor.Contains(timestamp.Time)) continue;
                anyAuthority = true;
                issuer = CertificatePaths.TryBuild(leaf, authority, timestamp.Time, out problem);
                if (issuer is not null) break;
            }
            if (issuer is null)
            {
                var why = anyAuthority ? $": {problem}" : ": no certificate authority of the trusted root was valid then";
                return VerificationContext.Finding(SigstoreCodes.CertificateChain,
                    $"The signing certificate does not chain to a trusted Fulcio CA at {timestamp.Time:O} ({timestamp.Source} from {timestamp.Authority}){why}.");
            }
            context.Issuer ??= issuer;
        }
        return null;
    }
}
