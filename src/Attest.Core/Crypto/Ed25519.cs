using System.Security.Cryptography;

namespace Attest.Core.Crypto;

/// <summary>Ed25519 (RFC 8032) signatures through libsodium. Verification is strict: libsodium rejects
/// non-canonical encodings and small-order public keys.</summary>
public static class Ed25519
{
    public const int PublicKeySize = Sodium.Ed25519PublicKeyBytes;
    public const int SignatureSize = Sodium.Ed25519SignatureBytes;
    public const int SeedSize = Sodium.Ed25519SeedBytes;

    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeySize || signature.Length != SignatureSize) return false;
        Sodium.EnsureInitialized();
        return Sodium.crypto_sign_ed25519_verify_detached(signature, message, (ulong)message.Length, publicKey) == 0;
    }

    /// <summary>Derives the public key of a 32-byte private seed.</summary>
    public static byte[] PublicKeyFromSeed(ReadOnlySpan<byte> seed)
    {
        var (publicKey, secretKey) = Expand(seed);
        CryptographicOperations.ZeroMemory(secretKey);
        return publicKey;
    }

    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message)
    {
        var (_, secretKey) = Expand(seed);
        try
        {
            var signature = new byte[SignatureSize];
            if (Sodium.crypto_sign_ed25519_detached(signature, out _, message, (ulong)message.Length, secretKey) != 0)
                throw new CryptographicException("Ed25519 signing failed");
            return signature;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secretKey);
        }
    }

    public static byte[] GenerateSeed() => RandomNumberGenerator.GetBytes(SeedSize);

    private static (byte[] PublicKey, byte[] SecretKey) Expand(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize) throw new ArgumentException($"Ed25519 seed must be {SeedSize} bytes", nameof(seed));
        Sodium.EnsureInitialized();
        var publicKey = new byte[PublicKeySize];
        var secretKey = new byte[Sodium.Ed25519SecretKeyBytes];
        if (Sodium.crypto_sign_ed25519_seed_keypair(publicKey, secretKey, seed) != 0)
            throw new CryptographicException("Ed25519 key derivation failed");
        return (publicKey, secretKey);
    }
}
