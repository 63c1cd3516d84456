using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Core.X509;
using Attest.Sigstore.Signing;

namespace Attest.Sigstore.Clients;

/// <summary>
/// The short-lived signing credential of a keyless signature: an ephemeral ECDSA P-256 key that never leaves this
/// process, and the certificate the CA issued for it to the token's identity. Disposing destroys the key.
/// </summary>
public sealed class KeylessCredential : IDisposable
{
    private readonly ECDsa _key;
    private readonly IReadOnlyList<X509Certificate2> _chain;

    private KeylessCredential(ECDsa key, IReadOnlyList<X509Certificate2> chain)
    {
        _key = key;
        _chain = chain;
        Signer = BundleSigner.ForCertificate(key, chain[0]);
        var identity = SubjectAlternativeName.Read(chain[0]).FirstOrDefault();
        Identity = identity?.Value;
        Issuer = FulcioExtensions.Read(chain[0]).Issuer;
    }

    /// <summary>Signs with the ephemeral key and publishes the leaf certificate in bundles.</summary>
    public BundleSigner Signer { get; }

    public X509Certificate2 Certificate => _chain[0];

    /// <summary>The certificate's subject (its first SAN: the workflow URI, the e-mail address …).</summary>
    public string? Identity { get; }

    /// <summary>The OIDC issuer the CA wrote into the certificate.</summary>
    public string? Issuer { get; }

    /// <summary>Makes an ephemeral key and asks the CA to certify it for <paramref name="token"/>'s identity.</summary>
    public static async Task<KeylessCredential> RequestAsync(FulcioClient ca, IdentityToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var chain = await ca.CreateSigningCertificateAsync(token, key, cancellationToken).ConfigureAwait(false);
            return new KeylessCredential(key, chain);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _key.Dispose();
        foreach (var certificate in _chain) certificate.Dispose();
    }
}
