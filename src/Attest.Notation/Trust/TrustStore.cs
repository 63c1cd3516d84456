using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Attest.Notation.Trust;

/// <summary>The trust store types of the Notary Project (trust-store-trust-policy.md): roots of certificate authorities
/// (for notary.x509 signatures), of signing authorities (for notary.x509.signingAuthority) and of timestamp authorities.</summary>
public enum TrustStoreType
{
    CertificateAuthority,
    SigningAuthority,
    TimestampAuthority,
}

/// <summary>
/// Trusted certificates by type. A signature's chain is trusted when one of its certificates is byte-for-byte one of
/// the store's certificates of the type its signing scheme uses (normally the root). Immutable once built.
/// </summary>
public sealed class TrustStore
{
    /// <summary>Certificates one store may hold.</summary>
    public const int MaxCertificates = 256;

    private readonly Dictionary<TrustStoreType, List<X509Certificate2>> _certificates = new();

    public IReadOnlyList<X509Certificate2> Certificates(TrustStoreType type) =>
        _certificates.TryGetValue(type, out var list) ? list : [];

    public bool Has(TrustStoreType type) => Certificates(type).Count > 0;

    /// <summary>SHA-256 over every certificate with its type: what part of a policy revision this store is.</summary>
    public string Fingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (type, list) in _certificates.OrderBy(p => p.Key))
            foreach (var certificate in list)
            {
                hash.AppendData([(byte)type]);
                hash.AppendData(certificate.RawData);
            }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public void Add(TrustStoreType type, X509Certificate2 certificate)
    {
        if (!_certificates.TryGetValue(type, out var list)) _certificates[type] = list = [];
        if (list.Count >= MaxCertificates) throw new InvalidOperationException($"a trust store holds at most {MaxCertificates} certificates");
        if (!list.Any(c => c.RawData.AsSpan().SequenceEqual(certificate.RawData))) list.Add(certificate);
    }

    /// <summary>The first certificate of <paramref name="chain"/> that the store of <paramref name="type"/> holds.</summary>
    public X509Certificate2? FindTrusted(TrustStoreType type, IEnumerable<X509Certificate2> chain)
    {
        foreach (var certificate in chain)
            foreach (var trusted in Certificates(type))
                if (trusted.RawData.AsSpan().SequenceEqual(certificate.RawData)) return trusted;
        return null;
    }

    /// <summary>
    /// Reads certificates from PEM (one or more <c>CERTIFICATE</c> blocks) or DER bytes, as the specification's trust
    /// store files (.pem, .crt, .cer) hold them. Returns the problem instead of throwing.
    /// </summary>
    public static IReadOnlyList<X509Certificate2> ReadCertificates(byte[] bytes, out string? problem)
    {
        problem = null;
        var text = bytes.Length > 0 && bytes[0] == (byte)'-' || System.Text.Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 64)).Contains("-----BEGIN", StringComparison.Ordinal)
            ? System.Text.Encoding.ASCII.GetString(bytes)
            : null;
        var result = new List<X509Certificate2>();
        try
        {
            if (text is null)
            {
                result.Add(X509CertificateLoader.LoadCertificate(bytes));
                return result;
            }
            var rest = text.AsSpan();
            while (PemEncoding.TryFind(rest, out var fields))
            {
                if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
                {
                    var der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
                    result.Add(X509CertificateLoader.LoadCertificate(der));
                    if (result.Count > MaxCertificates) { problem = $"more than {MaxCertificates} certificates"; return []; }
                }
                rest = rest[fields.Location.End..];
            }
            if (result.Count == 0) problem = "no PEM CERTIFICATE block";
            return result;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            problem = $"not a certificate ({e.Message})";
            return [];
        }
    }
}
