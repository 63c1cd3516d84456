using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Core.Crypto;

namespace Attest.Sigstore.Tests.Cosign;

/// <summary>
/// Opens a cosign key file without Attest's <see cref="SecretBox"/>: scrypt from OpenSSL's libcrypto (EVP_PBE_scrypt) and
/// the secretbox from libsodium's own <c>crypto_secretbox_open_easy</c>, the call Attest's reader made before it moved
/// to BouncyCastle. Reads the parameters from the file, as cosign does, so a writer that changed them would still be
/// caught by the assertions on the JSON.
/// </summary>
internal static partial class IndependentKeyFileOpener
{
    public static byte[]? Open(string pem, string password)
    {
        Assert.True(Pem.TryReadFirst(pem, out _, out var body, out var error), error);
        using var document = JsonDocument.Parse(body);
        var kdf = document.RootElement.GetProperty("kdf");
        var parameters = kdf.GetProperty("params");
        var salt = Convert.FromBase64String(kdf.GetProperty("salt").GetString()!);
        var nonce = Convert.FromBase64String(document.RootElement.GetProperty("cipher").GetProperty("nonce").GetString()!);
        var box = Convert.FromBase64String(document.RootElement.GetProperty("ciphertext").GetString()!);

        var passwordBytes = Encoding.UTF8.GetBytes(password);
        var key = new byte[32];
        Assert.Equal(1, EVP_PBE_scrypt(passwordBytes, (nuint)passwordBytes.Length, salt, (nuint)salt.Length,
            parameters.GetProperty("N").GetUInt64(), parameters.GetProperty("r").GetUInt64(), parameters.GetProperty("p").GetUInt64(),
            maxmem: 256UL << 20, key, (nuint)key.Length));

        Assert.True(sodium_init() >= 0);
        var plaintext = new byte[box.Length - 16];
        return crypto_secretbox_open_easy(plaintext, box, (ulong)box.Length, nonce, key) == 0 ? plaintext : null;
    }

    [DllImport("libcrypto.so.3")]
    private static extern int EVP_PBE_scrypt(byte[] pass, nuint passlen, byte[] salt, nuint saltlen,
        ulong n, ulong r, ulong p, ulong maxmem, byte[] key, nuint keylen);

    // The libsodium that NSec.Cryptography's native package puts beside the test assembly.
    [DllImport("libsodium")]
    private static extern int sodium_init();

    [DllImport("libsodium")]
    private static extern int crypto_secretbox_open_easy(byte[] m, byte[] c, ulong clen, byte[] n, byte[] k);
}
