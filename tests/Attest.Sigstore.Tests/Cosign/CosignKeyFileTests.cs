using System.Security.Cryptography;
using System.Text;
using Attest.Core.Crypto;
using Attest.Sigstore.Cosign;

namespace Attest.Sigstore.Tests.Cosign;

public class CosignKeyFileTests
{
    private static string Read(string file) => File.ReadAllText(SigstoreVectors.Root("cosign-keyfile", file));

    private static string Password => Read("password.txt");

    [Fact]
    public void Decrypts_to_the_private_key_of_the_public_key_file()
    {
        Assert.True(CosignKeyFile.TryDecrypt(Read("cosign.key"), Password, out var pkcs8, out var error), error);
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(pkcs8, out var read);
        Assert.Equal(pkcs8.Length, read);
        Assert.True(PublicKey.TryParse(Encoding.ASCII.GetBytes(Read("cosign.pub")), out var publicKey, out _));
        Assert.Equal(publicKey.SubjectPublicKeyInfo.ToArray(), ecdsa.ExportSubjectPublicKeyInfo());
        var signature = ecdsa.SignData("payload"u8.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        Assert.True(publicKey.VerifyData("payload"u8, signature, SignatureScheme.EcdsaSha256));
    }

    [Fact]
    public void A_wrong_password_is_rejected()
    {
        Assert.False(CosignKeyFile.TryDecrypt(Read("cosign.key"), Password + "!", out _, out var error));
        Assert.Contains("wrong password", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_ciphertext_is_rejected()
    {
        var pem = Read("cosign.key");
        Assert.True(Pem.TryReadFirst(pem, out var label, out var body, out _));
        var json = Encoding.UTF8.GetString(body);
        var at = json.IndexOf("\"ciphertext\": \"", StringComparison.Ordinal) + 20;
        var damaged = json[..at] + (json[at] == 'A' ? 'B' : 'A') + json[(at + 1)..];
        Assert.False(CosignKeyFile.TryDecrypt(Pem.Encode(label, Encoding.UTF8.GetBytes(damaged)), Password, out _, out _));
    }

    [Theory]
    [InlineData("\"N\": 32768", "\"N\": 1048576")]
    [InlineData("\"r\": 8", "\"r\": 64")]
    [InlineData("\"scrypt\"", "\"argon2\"")]
    [InlineData("\"nacl/secretbox\"", "\"aes-gcm\"")]
    public void Parameters_other_than_cosigns_are_refused_before_any_work(string from, string to)
    {
        Assert.True(Pem.TryReadFirst(Read("cosign.key"), out var label, out var body, out _));
        var json = Encoding.UTF8.GetString(body);
        Assert.Contains(from, json, StringComparison.Ordinal);
        var changed = Pem.Encode(label, Encoding.UTF8.GetBytes(json.Replace(from, to, StringComparison.Ordinal)));
        Assert.False(CosignKeyFile.TryDecrypt(changed, Password, out _, out var error));
        Assert.DoesNotContain("wrong password", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_written_here_opens_with_cosigns_parameters_through_OpenSSL_scrypt_and_libsodium_secretbox()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        var file = CosignKeyFile.Encrypt(pkcs8, "correct horse"u8);

        Assert.True(Pem.TryReadFirst(file, out _, out var body, out _));
        var json = Encoding.UTF8.GetString(body);
        Assert.Contains("\"params\":{\"N\":32768,\"r\":8,\"p\":1}", json, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"nacl/secretbox\"", json, StringComparison.Ordinal);
        Assert.Equal(pkcs8, IndependentKeyFileOpener.Open(file, "correct horse"));
        Assert.Null(IndependentKeyFileOpener.Open(file, "correct horsf"));
    }

    [Fact]
    public void The_reference_key_file_opens_the_same_through_the_independent_opener()
    {
        Assert.True(CosignKeyFile.TryDecrypt(Read("cosign.key"), Password, out var pkcs8, out var error), error);
        Assert.Equal(pkcs8, IndependentKeyFileOpener.Open(Read("cosign.key"), Password));
    }

    [Fact]
    public void A_salt_of_another_length_than_cosigns_is_refused()
    {
        Assert.True(Pem.TryReadFirst(Read("cosign.key"), out var label, out var body, out _));
        using var document = System.Text.Json.JsonDocument.Parse(body);
        var salt = document.RootElement.GetProperty("kdf").GetProperty("salt").GetString()!;
        var json = Encoding.UTF8.GetString(body).Replace(salt, Convert.ToBase64String(new byte[16]), StringComparison.Ordinal);
        Assert.False(CosignKeyFile.TryDecrypt(Pem.Encode(label, Encoding.UTF8.GetBytes(json)), Password, out _, out var error));
        Assert.Contains("salt is 16 bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_public_key_file_is_not_an_encrypted_key()
    {
        Assert.False(CosignKeyFile.TryDecrypt(Read("cosign.pub"), Password, out _, out var error));
        Assert.Contains("not an encrypted cosign key", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_encrypted_key_round_trips_and_only_opens_with_its_password()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        var file = CosignKeyFile.Encrypt(pkcs8, "correct horse"u8);

        Assert.StartsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----", file, StringComparison.Ordinal);
        Assert.True(CosignKeyFile.TryDecrypt(file, "correct horse", out var decrypted, out var error), error);
        Assert.Equal(pkcs8, decrypted);
        Assert.False(CosignKeyFile.TryDecrypt(file, "correct horsf", out _, out _));
        // Fresh salt and nonce every time: the same key never encrypts to the same file.
        Assert.NotEqual(file, CosignKeyFile.Encrypt(pkcs8, "correct horse"u8));
    }
}
