using System.Text;
using Attest.Core.Crypto;

namespace Attest.Core.Tests.Crypto;

public class SecretBoxTests
{
    // libsodium test/default/secretbox.c and secretbox.exp (ISC licence; NaCl's own vector, originally from
    // "Cryptography in NaCl"): key, nonce, the 131-byte message and MAC ‖ ciphertext.
    private static readonly byte[] NaclKey = Convert.FromHexString("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
    private static readonly byte[] NaclNonce = Convert.FromHexString("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
    private static readonly byte[] NaclMessage = Convert.FromHexString(
        "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705");
    private static readonly byte[] NaclBox = Convert.FromHexString(
        "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5");

    [Fact]
    public void Seal_produces_NaCl_secretbox_reference_output()
    {
        Assert.Equal(NaclBox, SecretBox.Seal(NaclMessage, NaclNonce, NaclKey));
    }

    [Fact]
    public void TryOpen_recovers_the_NaCl_reference_message()
    {
        Assert.True(SecretBox.TryOpen(NaclBox, NaclNonce, NaclKey, out var plaintext));
        Assert.Equal(NaclMessage, plaintext);
    }

    [Fact]
    public void TryOpen_rejects_any_flipped_bit_of_mac_or_ciphertext()
    {
        for (var i = 0; i < NaclBox.Length * 8; i += 7)
        {
            var tampered = (byte[])NaclBox.Clone();
            tampered[i / 8] ^= (byte)(1 << (i % 8));
            Assert.False(SecretBox.TryOpen(tampered, NaclNonce, NaclKey, out var plaintext), $"bit {i} flipped was accepted");
            Assert.Empty(plaintext);
        }
    }

    [Fact]
    public void An_empty_message_seals_to_a_bare_mac_and_opens()
    {
        var box = SecretBox.Seal([], NaclNonce, NaclKey);
        Assert.Equal(SecretBox.MacSize, box.Length);
        Assert.True(SecretBox.TryOpen(box, NaclNonce, NaclKey, out var plaintext));
        Assert.Empty(plaintext);
    }

    // Expected output from two independent scrypt implementations, which agree: OpenSSL 3.0
    // (`openssl kdf -keylen 64 -kdfopt pass:password -kdfopt hexsalt:000102…1f -kdfopt n:1024 -kdfopt r:8 -kdfopt p:16 SCRYPT`)
    // and Python's hashlib.scrypt. RFC 7914's own vectors use salts libsodium's scrypt does not take (it takes 32 bytes,
    // the length cosign writes), so the RFC's parameters N=1024 r=8 p=16 with a 32-byte salt stand in for them.
    [Fact]
    public void Scrypt_matches_OpenSSL_on_RFC_7914_parameters_with_a_32_byte_salt()
    {
        var salt = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var key = SecretBox.Scrypt(Encoding.ASCII.GetBytes("password"), salt, 1024, 8, 16, 64);
        Assert.Equal("e55c8dbf7ecf6f19670e0e5effce23507642c610eeb60c111a7bf9c710c38351de81fe45f4b9452e121073090785a1f8ab23933917daf09604cda2fcc230fcd5", Convert.ToHexStringLower(key));
    }

    [Fact]
    public void Scrypt_matches_OpenSSL_on_cosigns_parameters()
    {
        var salt = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var key = SecretBox.Scrypt("correct horse battery staple"u8, salt, 32768, 8, 1, SecretBox.KeySize);
        Assert.Equal("450fa69545f7a2062c718965069c38be27c1789f5e8cf9b00acb95fdcc54c43d", Convert.ToHexStringLower(key));
    }

    [Fact]
    public void Scrypt_rejects_an_N_that_is_not_a_power_of_two()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SecretBox.Scrypt("p"u8, new byte[SecretBox.ScryptSaltSize], 1000, 8, 1, 32));
    }

    [Fact]
    public void Scrypt_rejects_a_salt_of_another_length()
    {
        Assert.Throws<ArgumentException>(() => SecretBox.Scrypt("p"u8, "NaCl"u8, 1024, 8, 1, 32));
    }

    [Fact]
    public void TryOpen_rejects_wrong_sizes_and_unauthenticated_boxes()
    {
        var key = new byte[SecretBox.KeySize];
        var nonce = new byte[SecretBox.NonceSize];
        Assert.False(SecretBox.TryOpen(new byte[SecretBox.MacSize - 1], nonce, key, out _));
        Assert.False(SecretBox.TryOpen(new byte[40], nonce.AsSpan(1), key, out _));
        Assert.False(SecretBox.TryOpen(new byte[40], nonce, key.AsSpan(1), out _));
        Assert.False(SecretBox.TryOpen(new byte[40], nonce, key, out var plaintext));
        Assert.Empty(plaintext);
    }
}
