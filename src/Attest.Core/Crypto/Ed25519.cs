using System.Security.Cryptography;
using NSec.Cryptography;

namespace Attest.Core.Crypto;

/// <summary>Ed25519 (RFC 8032) signatures through NSec (libsodium). Verification is strict: libsodium rejects
/// non-canonical encodings and small-order public keys.</summary>
public static class Ed25519
{
    private static readonly NSec.Cryptography.Ed25519 Algorithm = SignatureAlgorithm.Ed25519;

    public const int PublicKeySize = 32;
    public const int SignatureSize = 64;
    public const int SeedSize = 32;

    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeySize || signature.Length != SignatureSize) return false;
        return NSec.Cryptography.PublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key)
            && Algorithm.Verify(key!, message, signature);
    }

    /// <summary>Derives the public key of a 32-byte private seed.</summary>
    public static byte[] PublicKeyFromSeed(ReadOnlySpan<byte> seed)
    {
        using var key = Import(seed);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message)
    {
        using var key = Import(seed);
        return Algorithm.Sign(key, message);
    }

    public static byte[] GenerateSeed() => RandomNumberGenerator.GetBytes(SeedSize);

    private static Key Import(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize) throw new ArgumentException($"Ed25519 seed must be {SeedSize} bytes", nameof(seed));
        return Key.Import(Algorithm, seed, KeyBlobFormat.RawPrivateKey);
    }
}
