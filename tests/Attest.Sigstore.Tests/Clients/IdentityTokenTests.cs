using System.Text;
using System.Text.Json.Nodes;
using Attest.Sigstore.Clients;
using Attest.Testing;

namespace Attest.Sigstore.Tests.Clients;

public sealed class IdentityTokenTests
{
    private static string Jwt(JsonObject claims) =>
        $"{TestOidcIssuer.Base64Url("{\"alg\":\"ES256\"}"u8.ToArray())}.{TestOidcIssuer.Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()))}.c2ln";

    [Fact]
    public void Proof_of_possession_challenge_is_sub_unless_the_token_has_a_verified_email()
    {
        Assert.True(IdentityToken.TryParse(Jwt(new JsonObject { ["iss"] = "https://ci.example", ["sub"] = "repo:acme/app:ref:refs/heads/main", ["exp"] = 2000000000 }), out var token, out var error), error);
        Assert.Equal("repo:acme/app:ref:refs/heads/main", token.Challenge);
        Assert.Equal("https://ci.example", token.Issuer);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(2000000000), token.Expires);

        Assert.True(IdentityToken.TryParse(Jwt(new JsonObject { ["sub"] = "123", ["email"] = "dev@example.com", ["email_verified"] = true }), out token, out _));
        Assert.Equal("dev@example.com", token.Challenge);
        Assert.True(IdentityToken.TryParse(Jwt(new JsonObject { ["sub"] = "123", ["email"] = "dev@example.com", ["email_verified"] = false }), out token, out _));
        Assert.Equal("123", token.Challenge);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("not-a-jwt", "not a JWT")]
    [InlineData("a.!!!.c", "base64url")]
    [InlineData("a.W10.c", "not a JSON object")]
    [InlineData("a.e30.c", "no sub")]
    public void Tokens_that_cannot_be_read_are_refused_with_a_reason(string text, string reason)
    {
        Assert.False(IdentityToken.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_raw_token_is_never_in_its_text_form()
    {
        var raw = Jwt(new JsonObject { ["sub"] = "secret-bearing" });
        Assert.True(IdentityToken.TryParse(raw, out var token, out _));
        Assert.DoesNotContain(raw, token.ToString(), StringComparison.Ordinal);
    }
}
