using System.Security.Cryptography;
using NSec.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace Attest.Core.Crypto;

/// <summary>scrypt (RFC 7914, through NSec/libsodium) and NaCl secretbox (XSalsa20-Poly1305, from BouncyCastle's
/// XSalsa20 and Poly1305): what cosign's encrypted private-key files use. .NET has neither, and NSec has no XSalsa20.</summary>
public static class SecretBox
{
    public const int KeySize = 32;
    public const int NonceSize = 24;
    public const int MacSize = 16;

    /// <summary>The only salt length libsodium's scrypt takes; go-securesystemslib (cosign) writes exactly this.</summary>
    public const int ScryptSaltSize = 32;

    /// <summary>scrypt(password, salt, N, r, p) → <paramref name="length"/> bytes. Callers bound N, r and p: memory is 128·N·r bytes.</summary>
    public static byte[] Scrypt(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, ulong n, uint r, uint p, int length)
    {
        if (n < 2 || (n & (n - 1)) != 0 || n > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(n), "scrypt N must be a power of two above 1");
        if (r is 0 or > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(r));
        if (p is 0 or > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(p));
        if (salt.Length != ScryptSaltSize) throw new ArgumentException($"the scrypt salt must be {ScryptSaltSize} bytes", nameof(salt));
        var parameters = new ScryptParameters { Cost = (long)n, BlockSize = (int)r, Parallelization = (int)p };
        try
        {
            return PasswordBasedKeyDerivationAlgorithm.Scrypt(parameters).DeriveBytes(password, salt, length);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentOutOfRangeException($"scrypt parameters N={n} r={r} p={p} are out of range ({e.Message})", e);
        }
    }

    /// <summary>Seals <paramref name="plaintext"/> into a secretbox (<c>MAC(16) ‖ ciphertext</c>); the nonce must never repeat under a key.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key)
    {
        if (nonce.Length != NonceSize) throw new ArgumentException($"the nonce must be {NonceSize} bytes", nameof(nonce));
        if (key.Length != KeySize) throw new ArgumentException($"the key must be {KeySize} bytes", nameof(key));
        var output = new byte[plaintext.Length + MacSize];
        var stream = KeyStream(nonce, key, out var mac);
        stream.ProcessBytes(plaintext, output.AsSpan(MacSize));
        mac.BlockUpdate(output.AsSpan(MacSize));
        mac.DoFinal(output.AsSpan(0, MacSize));
        return output;
    }

    /// <summary>Opens a secretbox (<c>MAC(16) ‖ ciphertext</c>); false when the key, nonce or data are wrong.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> box, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, out byte[] plaintext)
    {
        plaintext = [];
        if (box.Length < MacSize || nonce.Length != NonceSize || key.Length != KeySize) return false;
        var stream = KeyStream(nonce, key, out var mac);
        var ciphertext = box[MacSize..];
        Span<byte> tag = stackalloc byte[MacSize];
        mac.BlockUpdate(ciphertext);
        mac.DoFinal(tag);
        if (!CryptographicOperations.FixedTimeEquals(tag, box[..MacSize])) return false;
        var output = new byte[ciphertext.Length];
        stream.ProcessBytes(ciphertext, output);
        plaintext = output;
        return true;
    }

    /// <summary>NaCl's construction: the first 32 bytes of the XSalsa20 key stream are the one-time Poly1305 key, the
    /// message is enciphered from byte 32 on.</summary>
    private static XSalsa20Engine KeyStream(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, out Poly1305 mac)
    {
        var stream = new XSalsa20Engine();
        stream.Init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        Span<byte> macKey = stackalloc byte[32];
        stream.ProcessBytes(macKey, macKey);
        mac = new Poly1305();
        mac.Init(new KeyParameter(macKey));
        CryptographicOperations.ZeroMemory(macKey);
        return stream;
    }
}
