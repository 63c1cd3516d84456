using System.Text;

namespace Attest.Core.Tests;

/// <summary>Base64 as protobuf JSON reads it (both alphabets, padding optional, CR/LF skipped), exactly sized output.</summary>
public class Base64AnyTests
{
    [Theory]
    [InlineData("aGVsbG8gd29ybGQ=", "hello world")]
    [InlineData("aGVsbG8gd29ybGQ", "hello world")]
    [InlineData("aGVsbG8gd29ybA==", "hello worl")]
    [InlineData("aGVsbG8gd29ybA", "hello worl")]
    [InlineData("aGVsbG8gd29y", "hello wor")]
    [InlineData("aGVs\r\nbG8=", "hello")]
    [InlineData("", "")]
    public void Standard_base64_padded_or_not_decodes(string text, string expected)
    {
        Assert.True(Base64Any.TryDecode(text, out var bytes));
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Both_alphabets_decode_to_the_same_bytes()
    {
        byte[] data = [0xfb, 0xff, 0xbf, 0x00, 0x3e, 0xfe];
        Assert.True(Base64Any.TryDecode(Convert.ToBase64String(data), out var standard));
        Assert.True(Base64Any.TryDecode(Convert.ToBase64String(data).Replace('+', '-').Replace('/', '_').TrimEnd('='), out var urlSafe));
        Assert.Equal(data, standard);
        Assert.Equal(data, urlSafe);
    }

    [Theory]
    [InlineData("aGVs bG8=")]      // space
    [InlineData("aGVs\tbG8=")]     // tab
    [InlineData("+/-_")]           // mixed alphabets
    [InlineData("aGVsb")]          // impossible length
    [InlineData("aG=sbG8=")]       // padding in the middle
    [InlineData("====")]
    [InlineData("aGVsbG8*")]
    public void Anything_else_is_rejected(string text) => Assert.False(Base64Any.TryDecode(text, out _));

    [Fact]
    public void Random_inputs_round_trip_with_exact_lengths()
    {
        var random = new Random(7);
        for (var length = 0; length < 200; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.True(Base64Any.TryDecode(Convert.ToBase64String(data), out var decoded));
            Assert.Equal(data, decoded);
        }
    }

    [Theory]
    [InlineData("aGVsbG8gd29ybGQ=", "hello world")]
    [InlineData("aGVsbG8gd29ybA==", "hello worl")]
    [InlineData("aGVsbG8gd29y", "hello wor")]
    public void The_UTF8_fast_path_decodes_the_standard_padded_form(string text, string expected)
    {
        Assert.True(Base64Any.TryDecodeStandard(Encoding.ASCII.GetBytes(text), out var bytes));
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
    }

    [Theory]
    [InlineData("aGVsbG8gd29ybGQ")]  // unpadded: the string path decides
    [InlineData("-_-_")]             // URL-safe: the string path decides
    [InlineData("aGVs\r\nbG8=")]     // line breaks: the string path decides
    [InlineData("aGVs bG8=")]
    [InlineData("aG=sbG8=")]         // padding in the middle
    [InlineData("====")]
    [InlineData("aGVsbG8*")]
    [InlineData("")]
    public void The_UTF8_fast_path_declines_every_other_form(string text) =>
        Assert.False(Base64Any.TryDecodeStandard(Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void The_UTF8_fast_path_agrees_with_the_string_path_on_random_text()
    {
        var random = new Random(3);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
        for (var i = 0; i < 20000; i++)
        {
            var text = new string(Enumerable.Range(0, random.Next(0, 13)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            if (Base64Any.TryDecodeStandard(Encoding.ASCII.GetBytes(text), out var fast))
            {
                Assert.True(Base64Any.TryDecode(text, out var slow), text);
                Assert.Equal(slow, fast);
            }
        }
    }
}
