using System.Security.Cryptography;
using System.Text.Json;
using Attest.Core.Crypto;
using Attest.Testing;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Core.Tests.Crypto;

/// <summary>
/// Every Wycheproof ECDSA vector (tests/vectors/wycheproof, P-256/384/521 with their hashes) gets its expected verdict from
/// each way Attest can check it: OpenSSL's ECDSA_verify on a freshly imported key, the key's own table of multiples,
/// .NET's ECDsa, and <see cref="PublicKey"/> as the product calls it (OpenSSL here, .NET where that binding is missing). The direct OpenSSL binding is kept only because it
/// is faster (README, Dependencies); this is what holds it to the same answers as the library it stands beside.
/// </summary>
public class WycheproofEcdsaTests
{
    public static TheoryData<string, KeyAlgorithm> Files => new()
    {
        { "ecdsa_secp256r1_sha256_test.json", KeyAlgorithm.EcdsaP256 },
        { "ecdsa_secp256r1_sha512_test.json", KeyAlgorithm.EcdsaP256 },
        { "ecdsa_secp384r1_sha256_test.json", KeyAlgorithm.EcdsaP384 },
        { "ecdsa_secp384r1_sha384_test.json", KeyAlgorithm.EcdsaP384 },
        { "ecdsa_secp521r1_sha512_test.json", KeyAlgorithm.EcdsaP521 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_path_gives_each_vector_its_expected_verdict(string file, KeyAlgorithm algorithm)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(RepositoryPaths.Vectors("wycheproof", file)));
        var (valid, invalid) = (0, 0);
        foreach (var group in document.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            var spki = Convert.FromHexString(group.GetProperty("publicKeyDer").GetString()!);
            var point = Convert.FromHexString(group.GetProperty("publicKey").GetProperty("uncompressed").GetString()!);
            var (hash, scheme) = group.GetProperty("sha").GetString() switch
            {
                "SHA-256" => (HashAlgorithmName.SHA256, SignatureScheme.EcdsaSha256),
                "SHA-384" => (HashAlgorithmName.SHA384, SignatureScheme.EcdsaSha384),
                "SHA-512" => (HashAlgorithmName.SHA512, SignatureScheme.EcdsaSha512),
                var other => throw new InvalidDataException($"{file}: unexpected hash {other}"),
            };

            using var tabled = OpenSslEcKey.TryImport(algorithm, point);
            Assert.NotNull(tabled);
            Assert.True(tabled.BuildTable());
            using var dotnet = ECDsa.Create();
            dotnet.ImportSubjectPublicKeyInfo(spki, out _);
            Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(spki, out var product, out var error), error);
            Assert.Equal(algorithm, product.Algorithm);
            var fallback = new EcdsaPublicKey(spki, dotnet, algorithm);

            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                var id = $"{file} tcId {test.GetProperty("tcId").GetInt32()} ({test.GetProperty("comment").GetString()})";
                var expected = test.GetProperty("result").GetString() switch
                {
                    "valid" => true,
                    "invalid" => false,
                    var other => throw new InvalidDataException($"{id}: result '{other}' has no single verdict"),
                };
                var message = Convert.FromHexString(test.GetProperty("msg").GetString()!);
                var signature = Convert.FromHexString(test.GetProperty("sig").GetString()!);
                var digest = CryptographicOperations.HashData(hash, message);

                // A new key per vector never reaches the verification count after which a table is built.
                using (var fresh = OpenSslEcKey.TryImport(algorithm, point))
                {
                    Assert.NotNull(fresh);
                    Assert.True(expected == fresh.VerifyDigest(digest, signature), $"{id}: fresh key (ECDSA_verify)");
                    Assert.False(fresh.HasTable);
                }
                Assert.True(expected == tabled.VerifyDigest(digest, signature), $"{id}: key table");
                // .NET's DER decoder reads a negative INTEGER as its magnitude; the managed fallback decodes DER itself.
                var dotnetExpected = expected || test.GetProperty("comment").GetString()!.Contains("misses leading 0", StringComparison.Ordinal);
                Assert.True(dotnetExpected == DotnetVerifies(dotnet, digest, signature), $"{id}: .NET ECDsa");
                Assert.True(expected == product.VerifyData(message, signature, scheme), $"{id}: PublicKey.VerifyData");
                Assert.True(expected == fallback.VerifyData(message, signature, scheme), $"{id}: PublicKey on .NET (other platforms)");
                if (expected) valid++;
                else invalid++;
            }
            Assert.True(tabled.HasTable);
        }
        Assert.True(valid > 100 && invalid > 250, $"{file}: {valid} valid and {invalid} invalid vectors read");
    }

    private static bool DotnetVerifies(ECDsa key, byte[] digest, byte[] signature)
    {
        try
        {
            return key.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
