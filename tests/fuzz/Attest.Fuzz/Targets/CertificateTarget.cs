using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Core.X509;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Fuzz.Targets;

/// <summary>
/// A certificate as a bundle, a cosign signature or a trusted root carries it: <see cref="CertificateFields.TryParse"/>
/// (false with a sentence when refused), then what verification reads of an accepted one — code-signing EKU, names,
/// the SAN and Fulcio extensions (<see cref="CryptographicException"/> for malformed ones, as documented), and the path
/// to the public-good Fulcio roots. The same bytes also go through <see cref="X509CertificateLoader"/> and the
/// <see cref="X509Certificate2"/> overloads the timestamp step uses.
/// </summary>
internal static class CertificateTarget
{
    private static readonly DateTimeOffset At = new(2024, 3, 19, 17, 30, 0, TimeSpan.Zero);

    public static void Run(byte[] input)
    {
        if (CertificateFields.TryParse(input, out var fields, out _))
        {
            fields.AllowsCodeSigning();
            CertificateFields.DescribeName(fields.SubjectName);
            CertificateFields.DescribeName(fields.IssuerName);
            try
            {
                SubjectAlternativeName.Read(fields);
                FulcioExtensions.Read(fields);
            }
            catch (CryptographicException)
            {
            }
            foreach (var authority in TrustedRoot.PublicGood.CertificateAuthorities)
                CertificatePaths.TryBuild(fields, authority, At, out _);
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(input);
        }
        catch (CryptographicException)
        {
            return;
        }
        using (certificate)
        {
            try
            {
                SubjectAlternativeName.Read(certificate);
                FulcioExtensions.Read(certificate);
            }
            catch (CryptographicException)
            {
            }
        }
    }
}
