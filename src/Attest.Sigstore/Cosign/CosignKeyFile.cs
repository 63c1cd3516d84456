using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Core.Crypto;

namespace Attest.Sigstore.Cosign;

/// <summary>
/// cosign's encrypted private-key file (cosign pkg/cosign/keys.go; go-securesystemslib encrypted): PEM
/// <c>ENCRYPTED SIGSTORE PRIVATE KEY</c> (or the older <c>ENCRYPTED COSIGN PRIVATE KEY</c>) whose body is JSON
/// <c>{"kdf":{"name":"scrypt","params":{"N","r","p"},"salt"},"cipher":{"name":"nacl/secretbox","nonce"},"ciphertext"}</c>;
/// key = scrypt(password, salt, N, r, p, 32); plaintext = secretbox open → PKCS#8 DER. Only cosign's own parameters
/// are accepted (N 32768 or 65536, r 8, p 1), so a file cannot make the reader spend unbounded memory.
/// </summary>
public static class CosignKeyFile
{
    public const string PemLabel = "ENCRYPTED SIGSTORE PRIVATE KEY";
    public const string LegacyPemLabel = "ENCRYPTED COSIGN PRIVATE KEY";
    public const int MaxFileBytes = 64 * 1024;

    /// <summary>Decrypts the file to its PKCS#8 private key.</summary>
    public static bool TryDecrypt(string pem, ReadOnlySpan<byte> password, [NotNullWhen(true)] out byte[]? pkcs8, [NotNullWhen(false)] out string? error)
    {
        pkcs8 = null;
        if (pem.Length > MaxFileBytes) return Fail("the key file is too large", out error);
        if (!Pem.TryReadFirst(pem, out var label, out var body, out error)) return false;
        if (label is not (PemLabel or LegacyPemLabel)) return Fail($"PEM block '{label}' is not an encrypted cosign key", out error);
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            var kdf = root.GetProperty("kdf");
            if (kdf.GetProperty("name").GetString() != "scrypt") return Fail("the key file's kdf is not scrypt", out error);
            var parameters = kdf.GetProperty("params");
            var n = parameters.GetProperty("N").GetUInt64();
            var r = parameters.GetProperty("r").GetUInt32();
            var p = parameters.GetProperty("p").GetUInt32();
            if (n is not (32768 or 65536) || r != 8 || p != 1) return Fail($"the key file's scrypt parameters N={n} r={r} p={p} are not cosign's", out error);
            var cipher = root.GetProperty("cipher");
            if (cipher.GetProperty("name").GetString() != "nacl/secretbox") return Fail("the key file's cipher is not nacl/secretbox", out error);
            if (!Base64Any.TryDecode(kdf.GetProperty("salt").GetString() ?? "", out var salt)
                || !Base64Any.TryDecode(cipher.GetProperty("nonce").GetString() ?? "", out var nonce)
                || !Base64Any.TryDecode(root.GetProperty("ciphertext").GetString() ?? "", out var ciphertext))
                return Fail("the key file's salt, nonce or ciphertext is not base64", out error);
            // go-securesystemslib always writes a 32-byte salt, the only length libsodium's scrypt takes.
            if (salt.Length != SecretBox.ScryptSaltSize) return Fail($"the key file's salt is {salt.Length} bytes, not cosign's {SecretBox.ScryptSaltSize}", out error);
            var key = SecretBox.Scrypt(password, salt, n, r, p, SecretBox.KeySize);
            try
            {
                if (!SecretBox.TryOpen(ciphertext, nonce, key, out var plaintext)) return Fail("wrong password, or the key file is damaged", out error);
                pkcs8 = plaintext;
                error = null;
                return true;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return Fail($"the key file's JSON is not cosign's format ({e.Message})", out error);
        }
    }

    public static bool TryDecrypt(string pem, string password, [NotNullWhen(true)] out byte[]? pkcs8, [NotNullWhen(false)] out string? error) =>
        TryDecrypt(pem, Encoding.UTF8.GetBytes(password), out pkcs8, out error);

    /// <summary>Encrypts a PKCS#8 private key as cosign does (scrypt N=32768 r=8 p=1, 32-byte random salt, random
    /// nonce), so <c>cosign sign --key</c> can use the file and <see cref="TryDecrypt(string, ReadOnlySpan{byte}, out byte[], out string)"/> reads it back.</summary>
    public static string Encrypt(ReadOnlySpan<byte> pkcs8, ReadOnlySpan<byte> password)
    {
        const ulong n = 32768;
        const uint r = 8, p = 1;
        var salt = RandomNumberGenerator.GetBytes(SecretBox.ScryptSaltSize);
        var nonce = RandomNumberGenerator.GetBytes(SecretBox.NonceSize);
        var key = SecretBox.Scrypt(password, salt, n, r, p, SecretBox.KeySize);
        byte[] ciphertext;
        try
        {
            ciphertext = SecretBox.Seal(pkcs8, nonce, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("kdf");
            w.WriteString("name", "scrypt");
            w.WriteStartObject("params");
            w.WriteNumber("N", n);
            w.WriteNumber("r", r);
            w.WriteNumber("p", p);
            w.WriteEndObject();
            w.WriteString("salt", Convert.ToBase64String(salt));
            w.WriteEndObject();
            w.WriteStartObject("cipher");
            w.WriteString("name", "nacl/secretbox");
            w.WriteString("nonce", Convert.ToBase64String(nonce));
            w.WriteEndObject();
            w.WriteString("ciphertext", Convert.ToBase64String(ciphertext));
            w.WriteEndObject();
        }
        return Pem.Encode(PemLabel, buffer.ToArray());
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }
}
