using System.Security.Cryptography;
using System.Text;
using Attest.Core.Crypto;
using Attest.Testing;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Core.Tests.Crypto;

public class PublicKeyTests
{
    private static string ClientAlgos(string file) => RepositoryPaths.Vectors("sigstore", "rekor", "client-algos", file);

    private static PublicKey Load(string file)
    {
        Assert.True(PublicKey.TryParse(File.ReadAllBytes(ClientAlgos(file)), out var key, out var error), error);
        return key;
    }

    [Fact]
    public void Rsa_PKCS1_signatures_from_openssl_verify_with_SHA256_and_SHA512()
    {
        var key = Load("rsa_public.pem");
        Assert.Equal(KeyAlgorithm.Rsa, key.Algorithm);
        Assert.True(key.VerifyData(File.ReadAllBytes(ClientAlgos("file1")), File.ReadAllBytes(ClientAlgos("file1.rsa.sig")), SignatureScheme.RsaPkcs1Sha256));
        Assert.True(key.VerifyData(File.ReadAllBytes(ClientAlgos("file2")), File.ReadAllBytes(ClientAlgos("file2.rsa512.sig")), SignatureScheme.RsaPkcs1Sha512));
        // Wrong hash, wrong padding, wrong file.
        Assert.False(key.VerifyData(File.ReadAllBytes(ClientAlgos("file2")), File.ReadAllBytes(ClientAlgos("file2.rsa512.sig")), SignatureScheme.RsaPkcs1Sha256));
        Assert.False(key.VerifyData(File.ReadAllBytes(ClientAlgos("file1")), File.ReadAllBytes(ClientAlgos("file1.rsa.sig")), SignatureScheme.RsaPssSha256));
        Assert.False(key.VerifyData(File.ReadAllBytes(ClientAlgos("file2")), File.ReadAllBytes(ClientAlgos("file1.rsa.sig")), SignatureScheme.RsaPkcs1Sha256));
    }

    [Fact]
    public void Rsa_verifies_a_signature_over_a_precomputed_digest()
    {
        var key = Load("rsa_public.pem");
        var digest = SHA256.HashData(File.ReadAllBytes(ClientAlgos("file1")));
        Assert.True(key.VerifyHash(digest, File.ReadAllBytes(ClientAlgos("file1.rsa.sig")), SignatureScheme.RsaPkcs1Sha256));
    }

    [Fact]
    public void Ed25519_signature_from_openssl_verifies()
    {
        var key = Load("ed25519_public.pem");
        Assert.Equal(KeyAlgorithm.Ed25519, key.Algorithm);
        var data = File.ReadAllBytes(ClientAlgos("file1"));
        Assert.True(key.VerifyData(data, File.ReadAllBytes(ClientAlgos("file1.ed25519.sig")), SignatureScheme.Ed25519));
        // Ed25519ph signs a hash with a domain separator: not a pure Ed25519 signature.
        Assert.False(key.VerifyData(data, File.ReadAllBytes(ClientAlgos("file1.ed25519ph.sig")), SignatureScheme.Ed25519));
        Assert.False(key.VerifyHash(SHA512.HashData(data), File.ReadAllBytes(ClientAlgos("file1.ed25519.sig")), SignatureScheme.Ed25519));
    }

    [Fact]
    public void Ecdsa_P256_signature_from_openssl_verifies()
    {
        // The README says secp256k1, but the committed key is P-256 (1.2.840.10045.3.1.7); openssl agrees.
        var key = Load("ec_public.pem");
        Assert.Equal(KeyAlgorithm.EcdsaP256, key.Algorithm);
        Assert.True(key.VerifyData(File.ReadAllBytes(ClientAlgos("file1")), File.ReadAllBytes(ClientAlgos("file1.ec.sig")), SignatureScheme.EcdsaSha256));
        Assert.False(key.VerifyData(File.ReadAllBytes(ClientAlgos("file2")), File.ReadAllBytes(ClientAlgos("file1.ec.sig")), SignatureScheme.EcdsaSha256));
    }

    [Fact]
    public void Secp256k1_keys_are_rejected_with_the_curve_named()
    {
        // SPKI of a secp256k1 key (curve OID 1.3.132.0.10).
        using var ec = ECDsa.Create(ECCurve.CreateFromValue("1.3.132.0.10"));
        Assert.False(PublicKey.TryParseSubjectPublicKeyInfo(ec.ExportSubjectPublicKeyInfo(), out _, out var error));
        Assert.Contains("1.3.132.0.10", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nistP256", KeyAlgorithm.EcdsaP256, SignatureScheme.EcdsaSha256)]
    [InlineData("nistP384", KeyAlgorithm.EcdsaP384, SignatureScheme.EcdsaSha384)]
    [InlineData("nistP521", KeyAlgorithm.EcdsaP521, SignatureScheme.EcdsaSha512)]
    public void Ecdsa_keys_verify_DER_and_P1363_signatures(string curveName, KeyAlgorithm algorithm, SignatureScheme scheme)
    {
        using var signer = ECDsa.Create(ECCurve.CreateFromFriendlyName(curveName));
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(signer.ExportSubjectPublicKeyInfo(), out var key, out var error), error);
        Assert.Equal(algorithm, key.Algorithm);
        Assert.Equal(scheme, key.DefaultScheme);
        var data = "attest"u8.ToArray();
        var hash = PublicKey.HashOf(scheme)!.Value;
        var der = signer.SignData(data, hash, DSASignatureFormat.Rfc3279DerSequence);
        var p1363 = signer.SignData(data, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        Assert.True(key.VerifyData(data, der, scheme));
        Assert.True(key.VerifyData(data, p1363, scheme, SignatureEncoding.IeeeP1363));
        Assert.False(key.VerifyData(data, p1363, scheme));
        Assert.False(key.VerifyData("attesT"u8, der, scheme));
        Assert.False(key.VerifyData(data, der, SignatureScheme.Ed25519));
        var verifier = SignatureVerifier.ForKey(key);
        Assert.True(verifier.Verify(data, der));
        Assert.True(verifier.VerifyDigest(CryptographicOperations.HashData(hash, data), der));
    }

    [Fact]
    public void Rsa_PSS_signatures_verify_only_as_PSS()
    {
        using var signer = RSA.Create(2048);
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(signer.ExportSubjectPublicKeyInfo(), out var key, out _));
        var signature = signer.SignData("x"u8.ToArray(), HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
        Assert.True(key.VerifyData("x"u8, signature, SignatureScheme.RsaPssSha384));
        Assert.False(key.VerifyData("x"u8, signature, SignatureScheme.RsaPkcs1Sha384));
    }

    [Fact]
    public void Small_RSA_keys_are_rejected()
    {
        using var weak = RSA.Create(1024);
        Assert.False(PublicKey.TryParseSubjectPublicKeyInfo(weak.ExportSubjectPublicKeyInfo(), out _, out var error));
        Assert.Contains("2048", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Pkcs1_RSA_public_keys_are_read_and_reencoded_as_SPKI()
    {
        using var rsa = RSA.Create(2048);
        Assert.True(PublicKey.TryParsePkcs1RsaPublicKey(rsa.ExportRSAPublicKey(), out var key, out _));
        Assert.Equal(rsa.ExportSubjectPublicKeyInfo(), key.SubjectPublicKeyInfo.ToArray());
    }

    [Fact]
    public void Sha256_fingerprint_of_the_Rekor_production_key_is_its_log_id()
    {
        // rekor.sigstore.dev, from the public-good trusted root: logId wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=
        var spki = Convert.FromBase64String("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==");
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(spki, out var key, out _));
        Assert.Equal("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=", Convert.ToBase64String(key.Sha256Fingerprint()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")]
    public void Unreadable_keys_are_rejected_with_a_reason(string text)
    {
        Assert.False(PublicKey.TryParse(Encoding.UTF8.GetBytes(text), out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void Spki_with_trailing_bytes_is_rejected()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] spki = [.. ec.ExportSubjectPublicKeyInfo(), 0x00];
        Assert.False(PublicKey.TryParseSubjectPublicKeyInfo(spki, out _, out _));
    }

    [Fact]
    public void Cosign_garbage_fixture_is_not_a_key()
    {
        var path = RepositoryPaths.Vectors("sigstore", "cosign", "garbage-there-are-limits");
        Assert.False(PublicKey.TryParse(File.ReadAllBytes(path), out _, out _));
    }
}
