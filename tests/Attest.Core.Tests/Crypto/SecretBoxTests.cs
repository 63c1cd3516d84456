using System.Text;
using Attest.Core.Crypto;

namespace Attest.Core.Tests.Crypto;

public class SecretBoxTests
{
    [Fact]
    public void Scrypt_matches_RFC_7914_section_12_vector_2()
    {
        var key = SecretBox.Scrypt(Encoding.ASCII.GetBytes("password"), Encoding.ASCII.GetBytes("NaCl"), 1024, 8, 16, 64);
        Assert.Equal("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640", Convert.ToHexStringLower(key));
    }

    [Fact]
    public void Scrypt_rejects_an_N_that_is_not_a_power_of_two()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SecretBox.Scrypt("p"u8, "s"u8, 1000, 8, 1, 32));
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
