using Attest.Core;

namespace Attest.Core.Tests;

public class DigestTests
{
    [Fact]
    public void Sha256_of_empty_input_is_the_known_value()
    {
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Digest.Sha256([]).ToString());
    }

    [Fact]
    public void Parse_round_trips_a_valid_digest()
    {
        const string text = "sha256:b3fd3bf2e342cce97549378f886a543241dc05478de16d79c52afefee7c75063";
        Assert.Equal(text, Digest.Parse(text).ToString());
        Assert.Equal(Digest.Parse(text), Digest.Parse(text));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("b3fd3bf2e342cce97549378f886a543241dc05478de16d79c52afefee7c75063", "no 'algorithm:' prefix")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", "not supported")]
    [InlineData("sha256:B3FD3BF2E342CCE97549378F886A543241DC05478DE16D79C52AFEFEE7C75063", "lowercase hex")]
    [InlineData("sha256:b3fd", "64 lowercase hex")]
    [InlineData("sha256:zzfd3bf2e342cce97549378f886a543241dc05478de16d79c52afefee7c75063", "lowercase hex")]
    public void TryParse_rejects_malformed_digests_with_a_reason(string text, string reason)
    {
        Assert.False(Digest.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
