using Attest.Core;
using Attest.Core.X509;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Sigstore.Verification;

/// <summary>
/// Decides which key signed the artifact. Key policy: the bundle must be key-signed and the policy's key is used (the
/// bundle's hint is unauthenticated). Identity policy: the bundle must carry a certificate, whose key is used.
/// Certificates after the leaf must belong to a trusted CA chain.
/// (conformance managed-key-no-key_fail, managed-key-wrong-key_fail, bundle-with-root-cert_fail)
/// </summary>
internal sealed class SigningMaterialStep : IVerificationStep
{
    public Finding? Verify(VerificationContext context)
    {
        var bundle = context.Bundle;
        if (context.Policy.Key is { } key)
        {
            if (!bundle.HasPublicKey)
                return VerificationContext.Finding(SigstoreCodes.KeyNotAllowed, "The policy requires a signature by a managed key, but the bundle is signed with a certificate.");
            context.SigningKey = key;
            context.VerifierDer = key.SubjectPublicKeyInfo.ToArray();
            context.VerifierIsCertificate = false;
            return null;
        }
        if (bundle.LeafFields is not { } leaf)
            return VerificationContext.Finding(SigstoreCodes.KeyRequired, "The bundle is signed with a managed key, but no key was given to verify it (use --key).");
        if (!PublicKey.TryParseSubjectPublicKeyInfo(leaf.SubjectPublicKeyInfo.Span, out var signingKey, out var keyError))
            return VerificationContext.Finding(SigstoreCodes.BundleCertificate, $"The signing certificate's public key cannot be used: {keyError}");
        context.SigningKey = signingKey;
        // Certificates the bundle carries after the leaf are not used to build the path; they must be certificates of a
        // trusted CA chain (old clients included the intermediate and root), not ones of the bundle's choosing.
        for (var i = 1; i < bundle.ParsedCertificates.Count; i++)
        {
            var extra = bundle.ParsedCertificates[i];
            if (!CertificatePaths.IsAuthorityCertificate(context.TrustedRoot, extra.RawData))
            {
                var kind = extra.IsSelfIssued ? "root" : "intermediate";
                return VerificationContext.Finding(SigstoreCodes.BundleCertificateChain,
                    $"The bundle's certificate chain carries a {kind} certificate ({CertificateFields.DescribeName(extra.SubjectName)}) at position {i} that no trusted Fulcio CA contains; roots and intermediates come only from the trusted root.");
            }
        }

        context.VerifierDer = leaf.RawData;
        context.VerifierIsCertificate = true;
        return null;
    }
}
