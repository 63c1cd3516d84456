using System.Numerics;
using System.Security.Cryptography;
using Attest.Core.Crypto;
using static Attest.Core.Tests.Crypto.OpenSslEcKeyTests;

namespace Attest.Core.Tests.Crypto;

/// <summary>
/// A key's own table of multiples changes how OpenSSL computes a verification, never its verdict: every signature, digest
/// and damaged encoding must get the verdict ECDSA_verify and .NET give on the same key.
/// </summary>
public class OpenSslKeyTableTests
{
    [Fact]
    public void Tables_can_be_built_on_this_machine()
    {
        Assert.True(OpenSslKeyTable.Available, "libcrypto.so.3 lacks a function the key tables need");
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var key = Import(signer, KeyAlgorithm.EcdsaP384);
        Assert.False(key.HasTable);
        Assert.True(key.BuildTable());
        Assert.True(key.HasTable);
    }

    [Theory]
    [MemberData(nameof(OpenSslEcKeyTests.Curves), MemberType = typeof(OpenSslEcKeyTests))]
    public void Verdicts_with_a_table_equal_those_without(string curveName, KeyAlgorithm algorithm, SignatureScheme scheme)
    {
        using var signer = ECDsa.Create(ECCurve.CreateFromFriendlyName(curveName));
        var (plain, tabled) = (Import(signer, algorithm), Import(signer, algorithm));
        Assert.True(tabled.BuildTable());
        var hash = PublicKey.HashOf(scheme)!.Value;
        var random = new Random(11);
        var accepted = 0;
        for (var i = 0; i < 30; i++)
        {
            var digest = RandomNumberGenerator.GetBytes(CryptographicOperations.HashData(hash, [(byte)i]).Length);
            var der = signer.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
            var p1363 = signer.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            Assert.True(tabled.VerifyDigest(digest, der));
            accepted++;
            foreach (var (signature, encoding) in Damaged(der, p1363, random))
            {
                if (encoding != SignatureEncoding.Der) continue;
                var expected = plain.VerifyDigest(digest, signature);
                Assert.Equal(expected, tabled.VerifyDigest(digest, signature));
                Assert.Equal(expected, signer.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence));
                if (expected) accepted++;
            }
            var otherDigest = (byte[])digest.Clone();
            otherDigest[random.Next(otherDigest.Length)] ^= (byte)(1 << random.Next(8));
            Assert.False(tabled.VerifyDigest(otherDigest, der));
        }
        Assert.True(accepted >= 30);
    }

    [Theory]
    [MemberData(nameof(OpenSslEcKeyTests.Curves), MemberType = typeof(OpenSslEcKeyTests))]
    public void Digests_of_every_length_are_truncated_as_OpenSSL_truncates_them(string curveName, KeyAlgorithm algorithm, SignatureScheme scheme)
    {
        _ = scheme;
        using var signer = ECDsa.Create(ECCurve.CreateFromFriendlyName(curveName));
        var (plain, tabled) = (Import(signer, algorithm), Import(signer, algorithm));
        Assert.True(tabled.BuildTable());
        var random = new Random(5);
        // Shorter than the order, equal, longer by whole bytes, and (P-521: 521 bits) longer by a part of a byte; all zero
        // gives the scalar u1 = 0.
        foreach (var length in new[] { 1, 20, 32, 48, 64, 65, 66, 67, 80 })
        {
            foreach (var digest in new[] { RandomNumberGenerator.GetBytes(length), new byte[length] })
            {
                var der = signer.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
                Assert.True(plain.VerifyDigest(digest, der));
                Assert.True(tabled.VerifyDigest(digest, der));
                for (var flip = 0; flip < 8; flip++)
                {
                    var changed = (byte[])digest.Clone();
                    changed[random.Next(length)] ^= (byte)(1 << random.Next(8));
                    // A change past the order's length is truncated away and still verifies: both must agree on that.
                    Assert.Equal(plain.VerifyDigest(changed, der), tabled.VerifyDigest(changed, der));
                    Assert.Equal(signer.VerifyHash(changed, der, DSASignatureFormat.Rfc3279DerSequence), tabled.VerifyDigest(changed, der));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(OpenSslEcKeyTests.Curves), MemberType = typeof(OpenSslEcKeyTests))]
    public void Scalars_outside_one_to_n_minus_one_are_rejected_even_when_the_point_would_match(string curveName, KeyAlgorithm algorithm, SignatureScheme scheme)
    {
        using var signer = ECDsa.Create(ECCurve.CreateFromFriendlyName(curveName));
        var tabled = Import(signer, algorithm);
        Assert.True(tabled.BuildTable());
        var n = Unsigned(signer.ExportExplicitParameters(false).Curve.Order!);
        var digest = CryptographicOperations.HashData(PublicKey.HashOf(scheme)!.Value, "attest"u8);
        var good = signer.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        var (rBytes, sBytes) = ReadDer(good);
        var (r, s) = (Unsigned(rBytes), Unsigned(sBytes));
        Assert.True(tabled.VerifyDigest(digest, good));
        // n - s is the other valid s of the same signature (ECDSA's malleability): accepted by both, as OpenSSL accepts it.
        var mirrored = WriteDer(Bytes(r), Bytes(n - s));
        Assert.True(tabled.VerifyDigest(digest, mirrored));
        Assert.Equal(signer.VerifyHash(digest, mirrored, DSASignatureFormat.Rfc3279DerSequence), tabled.VerifyDigest(digest, mirrored));
        // r + n has the same residue mod n, so x(R) mod n would match it: only the range check stops it.
        foreach (var (badR, badS) in new[] { (r + n, s), (r, s + n), (BigInteger.Zero, s), (r, BigInteger.Zero), (n, s), (r, n) })
            Assert.False(tabled.VerifyDigest(digest, WriteDer(Bytes(badR), Bytes(badS))));
        // A negative r (its top bit set, no leading zero) is DER, but not a valid scalar.
        Assert.False(tabled.VerifyDigest(digest, WriteDer([0x80, .. rBytes.SkipWhile(b => b == 0)], sBytes, raw: true)));
    }

    [Fact]
    public void A_key_gets_its_table_after_heavy_use_and_keeps_its_verdicts()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var key = Import(signer, KeyAlgorithm.EcdsaP384);
        var digest = SHA384.HashData("attest"u8);
        var der = signer.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        for (var i = 0; i < OpenSslEcKey.TableAfterVerifications - 1; i++) Assert.True(key.VerifyDigest(digest, der));
        Assert.False(key.HasTable); // a bundle's leaf, used once or twice, never gets one
        Assert.True(key.VerifyDigest(digest, der));
        // Built on the thread pool; bounded wait.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!key.HasTable && DateTime.UtcNow < deadline) Thread.Sleep(10);
        Assert.True(key.HasTable);
        Assert.True(key.VerifyDigest(digest, der));
        Assert.False(key.VerifyDigest(SHA384.HashData("other"u8), der));
    }

    [Fact]
    public void One_table_serves_many_threads_at_once()
    {
        // Trust keys are shared by every request thread of the server; the table is read, never written, by verifications.
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = Import(signer, KeyAlgorithm.EcdsaP256);
        Assert.True(key.BuildTable());
        var digests = Enumerable.Range(0, 16).Select(i => SHA256.HashData([(byte)i])).ToArray();
        var signatures = digests.Select(d => signer.SignHash(d, DSASignatureFormat.Rfc3279DerSequence)).ToArray();
        var wrong = 0;
        Parallel.For(0, 800, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var which = i % digests.Length;
            if (!key.VerifyDigest(digests[which], signatures[which])) Interlocked.Increment(ref wrong);
            if (key.VerifyDigest(digests[(which + 1) % digests.Length], signatures[which])) Interlocked.Increment(ref wrong);
        });
        Assert.Equal(0, wrong);
    }

    private static OpenSslEcKey Import(ECDsa signer, KeyAlgorithm algorithm)
    {
        var parameters = signer.ExportParameters(false);
        var key = OpenSslEcKey.TryImport(algorithm, [0x04, .. parameters.Q.X!, .. parameters.Q.Y!]);
        Assert.NotNull(key);
        return key;
    }

    private static BigInteger Unsigned(byte[] bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);

    private static byte[] Bytes(BigInteger value) => value.IsZero ? [0] : value.ToByteArray(isUnsigned: true, isBigEndian: true);
}
