using Attest.Core.Crypto;

namespace Attest.Core.Tests.Crypto;

public class Ed25519Tests
{
    // RFC 8032 section 7.1, TEST 2 (one-byte message 0x72).
    private static readonly byte[] Seed = Convert.FromHexString("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
    private static readonly byte[] PublicKey = Convert.FromHexString("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
    private static readonly byte[] Message = [0x72];
    private static readonly byte[] Signature = Convert.FromHexString(
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");

    [Fact]
    public void Derives_the_RFC_8032_public_key_and_signature()
    {
        Assert.Equal(PublicKey, Ed25519.PublicKeyFromSeed(Seed));
        Assert.Equal(Signature, Ed25519.Sign(Seed, Message));
    }

    [Fact]
    public void Verify_accepts_the_RFC_8032_signature()
    {
        Assert.True(Ed25519.Verify(PublicKey, Message, Signature));
    }

    [Fact]
    public void Verify_rejects_any_flipped_bit_of_the_signature()
    {
        for (var i = 0; i < Signature.Length * 8; i++)
        {
            var tampered = (byte[])Signature.Clone();
            tampered[i / 8] ^= (byte)(1 << (i % 8));
            Assert.False(Ed25519.Verify(PublicKey, Message, tampered), $"bit {i} flipped was accepted");
        }
    }

    [Fact]
    public void Verify_rejects_another_message_and_wrong_sizes()
    {
        Assert.False(Ed25519.Verify(PublicKey, [0x73], Signature));
        Assert.False(Ed25519.Verify(PublicKey.AsSpan(1), Message, Signature));
        Assert.False(Ed25519.Verify(PublicKey, Message, Signature.AsSpan(1)));
    }
}
