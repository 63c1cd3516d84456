using System.Security.Cryptography;
using Attest.Core;
using Attest.Core.X509;

namespace Attest.Sigstore.Verification;

/// <summary>
/// The certificate identity must satisfy one of the policy's identities: a SAN (email, URI or the Sigstore OtherName
/// username) equal to, or fully matching, the expected identity, and the OIDC issuer (extension 1.3.6.1.4.1.57264.1.8,
/// else the deprecated .1.1) equal to, or matching, the expected issuer. (reference §1.1 step 10)
/// </summary>
internal sealed class IdentityStep : IVerificationStep
{
    public Finding? Verify(VerificationContext context)
    {
        if (context.Bundle.LeafFields is not { } leaf || context.Policy.Key is not null) return null;
        IReadOnlyList<SubjectAlternativeName> names;
        FulcioExtensions extensions;
        try
        {
            names = SubjectAlternativeName.Read(leaf);
            extensions = FulcioExtensions.Read(leaf);
        }
        catch (CryptographicException e)
        {
            return VerificationContext.Finding(SigstoreCodes.CertificateExtensions, $"The signing certificate's identity cannot be read: {e.Message}");
        }
        var identities = names
            .Where(n => n.Kind is SubjectAlternativeNameKind.Email or SubjectAlternativeNameKind.Uri or SubjectAlternativeNameKind.SigstoreUsername)
            .Select(n => n.Value)
            .ToList();
        var issuer = extensions.Issuer;
        var sanMatched = false;
        string? claimMismatch = null;
        foreach (var expected in context.Policy.Identities)
        {
            var san = identities.FirstOrDefault(expected.MatchesSan);
            if (san is null) continue;
            sanMatched = true;
            if (issuer is not null && expected.MatchesIssuer(issuer))
            {
                if (!expected.MatchesExtensions(extensions))
                {
                    claimMismatch ??= string.Join(", ", expected.Extensions.Where(e => extensions.Get(e.Key) != e.Value)
                        .Select(e => $"{FulcioExtensions.NameOf(e.Key)} is {extensions.Get(e.Key) ?? "absent"}, not {e.Value}"));
                    continue;
                }
                context.MatchedSan = san;
                context.MatchedIssuer = issuer;
                return null;
            }
        }
        var found = identities.Count == 0 ? "none" : string.Join(", ", identities);
        var wanted = string.Join(" or ", context.Policy.Identities.Select(i => i.SubjectAlternativeName ?? $"/{i.SubjectAlternativeNameRegex}/"));
        if (!sanMatched)
        {
            return VerificationContext.Finding(SigstoreCodes.IdentitySanMismatch, $"The certificate identity {found} is not the expected {wanted}.",
                ("expected", wanted), ("found", found));
        }
        if (claimMismatch is not null)
            return VerificationContext.Finding(SigstoreCodes.IdentityClaimMismatch, $"The certificate's CI claims do not match the policy: {claimMismatch}.", ("found", claimMismatch));
        var wantedIssuer = string.Join(" or ", context.Policy.Identities.Select(i => i.Issuer ?? $"/{i.IssuerRegex}/"));
        return VerificationContext.Finding(SigstoreCodes.IdentityIssuerMismatch, $"The certificate was issued for OIDC issuer {issuer ?? "(none)"}, not the expected {wantedIssuer}.",
            ("expected", wantedIssuer), ("found", issuer ?? ""));
    }
}
