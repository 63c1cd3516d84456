using System.Formats.Asn1;
using System.Security.Cryptography;
using Attest.Core.Crypto;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Core.Tests.Crypto;

/// <summary>
/// The direct OpenSSL ECDSA binding must reach exactly the verdicts .NET's ECDsa reaches on the same key, for valid
/// signatures and for every kind of damage, and must refuse the same key encodings.
/// </summary>
public class OpenSslEcKeyTests
{
    public static TheoryData<string, KeyAlgorithm, SignatureScheme> Curves => new()
    {
        { "nistP256", KeyAlgorithm.EcdsaP256, SignatureScheme.EcdsaSha256 },
        { "nistP384", KeyAlgorithm.EcdsaP384, SignatureScheme.EcdsaSha384 },
        { "nistP521", KeyAlgorithm.EcdsaP521, SignatureScheme.EcdsaSha512 },
    };

    [Fact]
    public void The_binding_is_available_on_this_Linux_machine()
    {
        // The verification benchmark depends on it; a silent fallback to .NET would only show up as a slowdown.
        Assert.True(OpenSslEcKey.Available, "libcrypto.so.3 with the EC_KEY functions was not found");
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(signer.ExportSubjectPublicKeyInfo(), out var key, out var error), error);
        Assert.True(((EcdsaPublicKey)key).IsNative);
    }

    [Theory]
    [MemberData(nameof(Curves))]
    public void Native_and_dotnet_keys_agree_on_valid_and_damaged_signatures(string curveName, KeyAlgorithm algorithm, SignatureScheme scheme)
    {
        using var signer = ECDsa.Create(ECCurve.CreateFromFriendlyName(curveName));
        var spki = signer.ExportSubjectPublicKeyInfo();
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(spki, out var native, out var error), error);
        Assert.True(((EcdsaPublicKey)native).IsNative);
        var managedEc = ECDsa.Create();
        managedEc.ImportSubjectPublicKeyInfo(spki, out _);
        var managed = new EcdsaPublicKey(spki, managedEc, algorithm);
        var hash = PublicKey.HashOf(scheme)!.Value;
        var random = new Random(7);
        var cases = 0;
        for (var i = 0; i < 40; i++)
        {
            var data = new byte[random.Next(0, 200)];
            random.NextBytes(data);
            var der = signer.SignData(data, hash, DSASignatureFormat.Rfc3279DerSequence);
            var p1363 = signer.SignData(data, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            Assert.True(native.VerifyData(data, der, scheme));
            Assert.True(native.VerifyData(data, p1363, scheme, SignatureEncoding.IeeeP1363));
            Assert.True(native.VerifyHash(CryptographicOperations.HashData(hash, data), der, scheme));
            foreach (var (signature, encoding) in Damaged(der, p1363, random))
            {
                cases++;
                Assert.Equal(managed.VerifyData(data, signature, scheme, encoding), native.VerifyData(data, signature, scheme, encoding));
            }
            // Another message, another hash length, another curve's scheme.
            Assert.False(native.VerifyData([.. data, 0], der, scheme));
            Assert.Equal(managed.VerifyData(data, der, SignatureScheme.EcdsaSha256), native.VerifyData(data, der, SignatureScheme.EcdsaSha256));
            Assert.False(native.VerifyHash(new byte[20], der, scheme));
        }
        Assert.True(cases > 1000);
    }

    [Theory]
    [MemberData(nameof(Curves))]
    public void Out_of_range_scalars_are_rejected(string curveName, KeyAlgorithm algorithm, SignatureScheme scheme)
    {
        using var signer = ECDsa.Create(ECCurve.CreateFromFriendlyName(curveName));
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(signer.ExportSubjectPublicKeyInfo(), out var key, out _));
        Assert.Equal(algorithm, key.Algorithm);
        // Named curves do not export their order; the explicit parameters carry it.
        var order = signer.ExportExplicitParameters(false).Curve.Order!;
        var data = "attest"u8.ToArray();
        var good = signer.SignData(data, PublicKey.HashOf(scheme)!.Value, DSASignatureFormat.Rfc3279DerSequence);
        var (r, s) = ReadDer(good);
        foreach (var (badR, badS) in new (byte[] R, byte[] S)[] { ([0], s), (r, [0]), (order, s), (r, order), ([], s) })
            Assert.False(key.VerifyData(data, WriteDer(badR, badS), scheme));
    }

    [Fact]
    public void Off_curve_and_compressed_points_are_refused_as_before()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = signer.ExportSubjectPublicKeyInfo();
        var offCurve = (byte[])spki.Clone();
        offCurve[^1] ^= 0x01; // Y changes, X stays: the point leaves the curve
        Assert.False(PublicKey.TryParseSubjectPublicKeyInfo(offCurve, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
        Assert.Null(OpenSslEcKey.TryImport(KeyAlgorithm.EcdsaP256, spki.AsSpan(spki.Length - 65).ToArray().Select((b, i) => i == 64 ? (byte)(b ^ 1) : b).ToArray()));
        // The compressed form of a valid point: OpenSSL could read it, but it is not accepted (one encoding per key).
        var point = spki.AsSpan(spki.Length - 65).ToArray();
        var compressed = new byte[33];
        compressed[0] = (byte)(2 + (point[64] & 1));
        point.AsSpan(1, 32).CopyTo(compressed.AsSpan(1));
        Assert.Null(OpenSslEcKey.TryImport(KeyAlgorithm.EcdsaP256, compressed));
        Assert.Null(OpenSslEcKey.TryImport(KeyAlgorithm.EcdsaP384, point)); // a P-256 point is not a P-384 encoding
        Assert.NotNull(OpenSslEcKey.TryImport(KeyAlgorithm.EcdsaP256, point));
    }

    [Fact]
    public void Keys_imported_and_used_on_many_threads_at_once_keep_their_verdicts()
    {
        // The cached curve groups and shared trust keys are used from every request thread of the server.
        var signers = new[] { ECDsa.Create(ECCurve.NamedCurves.nistP256), ECDsa.Create(ECCurve.NamedCurves.nistP384) };
        var data = "attest"u8.ToArray();
        var material = signers.Select(s => (Spki: s.ExportSubjectPublicKeyInfo(), Hash: s.KeySize == 256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384,
            Scheme: s.KeySize == 256 ? SignatureScheme.EcdsaSha256 : SignatureScheme.EcdsaSha384)).ToArray();
        var signatures = signers.Select((s, i) => s.SignData(data, material[i].Hash, DSASignatureFormat.Rfc3279DerSequence)).ToArray();
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(material[0].Spki, out var shared, out _));
        var wrong = 0;
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var which = i % 2;
            if (!PublicKey.TryParseSubjectPublicKeyInfo(material[which].Spki, out var key, out _)) Interlocked.Increment(ref wrong);
            else if (!key.VerifyData(data, signatures[which], material[which].Scheme)) Interlocked.Increment(ref wrong);
            else if (key.VerifyData("other"u8, signatures[which], material[which].Scheme)) Interlocked.Increment(ref wrong);
            if (!shared.VerifyData(data, signatures[0], SignatureScheme.EcdsaSha256)) Interlocked.Increment(ref wrong);
        });
        Assert.Equal(0, wrong);
        foreach (var signer in signers) signer.Dispose();
    }

    [Fact]
    public void P1363_signatures_of_the_wrong_length_do_not_verify()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(signer.ExportSubjectPublicKeyInfo(), out var key, out _));
        var data = "attest"u8.ToArray();
        var p1363 = signer.SignData(data, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        Assert.True(key.VerifyData(data, p1363, SignatureScheme.EcdsaSha384, SignatureEncoding.IeeeP1363));
        Assert.False(key.VerifyData(data, p1363[..^1], SignatureScheme.EcdsaSha384, SignatureEncoding.IeeeP1363));
        Assert.False(key.VerifyData(data, [0, .. p1363], SignatureScheme.EcdsaSha384, SignatureEncoding.IeeeP1363));
    }

    /// <summary>Single-bit flips, truncations, extensions and re-encodings of a good signature in both encodings.</summary>
    internal static IEnumerable<(byte[] Signature, SignatureEncoding Encoding)> Damaged(byte[] der, byte[] p1363, Random random)
    {
        foreach (var (good, encoding) in new[] { (der, SignatureEncoding.Der), (p1363, SignatureEncoding.IeeeP1363) })
        {
            for (var i = 0; i < good.Length; i++)
            {
                var flipped = (byte[])good.Clone();
                flipped[i] ^= (byte)(1 << random.Next(8));
                yield return (flipped, encoding);
            }
            yield return (good[..^1], encoding);
            yield return ([.. good, 0], encoding);
            yield return ([], encoding);
        }
        // Non-canonical DER: a long-form length, and a redundant leading zero in r.
        var (r, s) = ReadDer(der);
        yield return ([0x30, 0x81, (byte)(der.Length - 2), .. der[2..]], SignatureEncoding.Der);
        yield return (WriteDer([0, .. r.SkipWhile(b => b == 0)], s, raw: true), SignatureEncoding.Der);
        yield return (WriteDer(r, s), SignatureEncoding.Der);
    }

    internal static (byte[] R, byte[] S) ReadDer(byte[] der)
    {
        var sequence = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        return (sequence.ReadIntegerBytes().ToArray(), sequence.ReadIntegerBytes().ToArray());
    }

    /// <summary>DER of (r, s); <paramref name="raw"/> writes the integer bytes as given, even when not minimal.</summary>
    internal static byte[] WriteDer(byte[] r, byte[] s, bool raw = false)
    {
        if (raw)
        {
            byte[] Integer(byte[] v) => [0x02, (byte)v.Length, .. v];
            var body = Integer(r).Concat(Integer(s)).ToArray();
            return [0x30, (byte)body.Length, .. body];
        }
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            if (r.Length == 0) writer.WriteEncodedValue([0x02, 0x00]); else writer.WriteIntegerUnsigned(r.SkipWhile((b, i) => b == 0 && i < r.Length - 1).ToArray());
            writer.WriteIntegerUnsigned(s.SkipWhile((b, i) => b == 0 && i < s.Length - 1).ToArray());
        }
        return writer.Encode();
    }
}
