using System.Security.Cryptography;

namespace Attest.Core.Crypto;

/// <summary>scrypt (RFC 7914) and NaCl secretbox (XSalsa20-Poly1305) through libsodium: what cosign's encrypted
/// private-key files use. .NET has neither built in.</summary>
public static class SecretBox
{
    public const int KeySize = Sodium.SecretBoxKeyBytes;
    public const int NonceSize = Sodium.SecretBoxNonceBytes;
    public const int MacSize = Sodium.SecretBoxMacBytes;

    /// <summary>scrypt(password, salt, N, r, p) → <paramref name="length"/> bytes. Callers bound N, r and p: memory is 128·N·r bytes.</summary>
    public static byte[] Scrypt(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, ulong n, uint r, uint p, int length)
    {
        if (n < 2 || (n & (n - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(n), "scrypt N must be a power of two above 1");
        Sodium.EnsureInitialized();
        var output = new byte[length];
        if (Sodium.crypto_pwhash_scryptsalsa208sha256_ll(password, (nuint)password.Length, salt, (nuint)salt.Length, n, r, p, output, (nuint)length) != 0)
            throw new CryptographicException("scrypt failed (parameters too large for this machine?)");
        return output;
    }

    /// <summary>Seals <paramref name="plaintext"/> into a secretbox (<c>MAC(16) ‖ ciphertext</c>); the nonce must never repeat under a key.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key)
    {
        if (nonce.Length != NonceSize) throw new ArgumentException($"the nonce must be {NonceSize} bytes", nameof(nonce));
        if (key.Length != KeySize) throw new ArgumentException($"the key must be {KeySize} bytes", nameof(key));
        Sodium.EnsureInitialized();
        var output = new byte[plaintext.Length + MacSize];
        if (Sodium.crypto_secretbox_easy(output, plaintext, (ulong)plaintext.Length, nonce, key) != 0)
            throw new CryptographicException("secretbox sealing failed");
        return output;
    }

    /// <summary>Opens a secretbox (<c>MAC(16) ‖ ciphertext</c>); false when the key, nonce or data are wrong.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> box, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, out byte[] plaintext)
    {
        plaintext = [];
        if (box.Length < MacSize || nonce.Length != NonceSize || key.Length != KeySize) return false;
        Sodium.EnsureInitialized();
        var output = new byte[box.Length - MacSize];
        if (Sodium.crypto_secretbox_open_easy(output, box, (ulong)box.Length, nonce, key) != 0) return false;
        plaintext = output;
        return true;
    }
}
