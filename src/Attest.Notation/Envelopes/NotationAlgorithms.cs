using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Attest.Notation.Envelopes;

/// <summary>
/// The algorithm table of the specification ("Algorithm Selection"): the signing certificate's key decides the
/// algorithm (RSA 2048/3072/4096 → RSASSA-PSS with SHA-256/384/512; EC P-256/384/521 → ECDSA with SHA-256/384/512), and
/// the envelope's <c>alg</c> must name that same algorithm, so a signature cannot be replayed under a weaker one.
/// </summary>
public static class NotationAlgorithms
{
    public static string JwsName(NotationAlgorithm algorithm) => algorithm switch
    {
        NotationAlgorithm.RsaPssSha256 => "PS256",
        NotationAlgorithm.RsaPssSha384 => "PS384",
        NotationAlgorithm.RsaPssSha512 => "PS512",
        NotationAlgorithm.EcdsaSha256 => "ES256",
        NotationAlgorithm.EcdsaSha384 => "ES384",
        _ => "ES512",
    };

    public static NotationAlgorithm? FromJwsName(string? name) => name switch
    {
        "PS256" => NotationAlgorithm.RsaPssSha256,
        "PS384" => NotationAlgorithm.RsaPssSha384,
        "PS512" => NotationAlgorithm.RsaPssSha512,
        "ES256" => NotationAlgorithm.EcdsaSha256,
        "ES384" => NotationAlgorithm.EcdsaSha384,
        "ES512" => NotationAlgorithm.EcdsaSha512,
        _ => null,
    };

    /// <summary>COSE algorithm identifiers (IANA COSE Algorithms registry).</summary>
    public static int CoseLabel(NotationAlgorithm algorithm) => algorithm switch
    {
        NotationAlgorithm.RsaPssSha256 => -37,
        NotationAlgorithm.RsaPssSha384 => -38,
        NotationAlgorithm.RsaPssSha512 => -39,
        NotationAlgorithm.EcdsaSha256 => -7,
        NotationAlgorithm.EcdsaSha384 => -35,
        _ => -36,
    };

    public static NotationAlgorithm? FromCoseLabel(long label) => label switch
    {
        -37 => NotationAlgorithm.RsaPssSha256,
        -38 => NotationAlgorithm.RsaPssSha384,
        -39 => NotationAlgorithm.RsaPssSha512,
        -7 => NotationAlgorithm.EcdsaSha256,
        -35 => NotationAlgorithm.EcdsaSha384,
        -36 => NotationAlgorithm.EcdsaSha512,
        _ => null,
    };

    public static HashAlgorithmName Hash(NotationAlgorithm algorithm) => algorithm switch
    {
        NotationAlgorithm.RsaPssSha256 or NotationAlgorithm.EcdsaSha256 => HashAlgorithmName.SHA256,
        NotationAlgorithm.RsaPssSha384 or NotationAlgorithm.EcdsaSha384 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    /// <summary>The algorithm a certificate's key must sign with, or null with the reason it has none.</summary>
    public static NotationAlgorithm? ForCertificate(X509Certificate2 certificate, out string? problem)
    {
        problem = null;
        using (var rsa = certificate.GetRSAPublicKey())
        {
            if (rsa is not null)
            {
                switch (rsa.KeySize)
                {
                    case 2048: return NotationAlgorithm.RsaPssSha256;
                    case 3072: return NotationAlgorithm.RsaPssSha384;
                    case 4096: return NotationAlgorithm.RsaPssSha512;
                    default:
                        problem = $"an RSA key of {rsa.KeySize} bits has no Notary signature algorithm (2048, 3072 or 4096)";
                        return null;
                }
            }
        }
        using (var ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                switch (ec.KeySize)
                {
                    case 256: return NotationAlgorithm.EcdsaSha256;
                    case 384: return NotationAlgorithm.EcdsaSha384;
                    case 521: return NotationAlgorithm.EcdsaSha512;
                    default:
                        problem = $"an EC key of {ec.KeySize} bits has no Notary signature algorithm (P-256, P-384 or P-521)";
                        return null;
                }
            }
        }
        problem = $"the key algorithm {certificate.PublicKey.Oid.Value} is not RSA or ECDSA";
        return null;
    }

    /// <summary>Verifies a primitive signature: RSASSA-PSS (salt length = hash length) or ECDSA with r‖s encoding (JWS and COSE both use it).</summary>
    public static bool Verify(X509Certificate2 certificate, NotationAlgorithm algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var hash = Hash(algorithm);
        try
        {
            if (algorithm is NotationAlgorithm.RsaPssSha256 or NotationAlgorithm.RsaPssSha384 or NotationAlgorithm.RsaPssSha512)
            {
                using var rsa = certificate.GetRSAPublicKey();
                return rsa is not null && rsa.VerifyData(data, signature, hash, RSASignaturePadding.Pss);
            }
            using var ec = certificate.GetECDsaPublicKey();
            return ec is not null && ec.VerifyData(data, signature, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
