using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Attest.Server.Tests.Auth;

/// <summary>
/// The access-token check as the running server does it, for the API and for introspection: a real token of the server
/// is taken apart, changed, and signed again with the server's own key (or with another key or algorithm), then
/// presented. The untouched re-signed token is accepted (so the forging is sound and each refusal is for the one thing
/// changed); every forgery is refused with 401 by the API and reported inactive by introspection, never a 500.
/// </summary>
public sealed class AccessTokenValidationTests(AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    /// <summary>Each case: how the template token is changed and signed, and whether the server must accept it.</summary>
    public static TheoryData<string, bool> Cases => new()
    {
        { "resigned unchanged", true },
        { "not before, within the clock skew", true },
        { "signed by another key under the same kid", false },
        { "alg none without a signature", false },
        { "alg none with the original signature", false },
        { "HS256 keyed with the public key's PEM", false },
        { "HS256 keyed with the public key's DER", false },
        { "ES384 with the server's key", false },
        { "kid unknown, signed by the server's key", false },
        { "no kid, signed by the server's key", false },
        { "expired a few seconds ago", false },
        { "not before, beyond the clock skew", false },
        { "issued in the future, beyond the clock skew", false },
        { "another audience", false },
        { "no audience", false },
        { "another issuer", false },
        { "payload changed after signing", false },
        { "typ JWT (not an access token)", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Server_accepts_only_ES256_tokens_of_its_key_for_its_API_issuer_and_time(string change, bool accepted)
    {
        var admin = ApiAccess.BootstrapAdmin(fixture.DataDirectory);
        var template = await fixture.Server.TokenAsync(admin, "admin");
        using var key = ServerKey();
        var token = Forge(template, key, change);

        using (var response = await fixture.Server.SendAsync(HttpMethod.Get, "v1/clients", token))
        {
            Assert.True((response.StatusCode == HttpStatusCode.OK) == accepted, $"{change}: API answered {(int)response.StatusCode} {response.Headers.WwwAuthenticate}");
            if (!accepted)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            }
        }
        // Introspection never calls it active; a token of another type (an identity token, typ JWT) OpenIddict declines
        // to introspect at all, with an RFC 6749 error rather than an answer.
        using var introspection = await fixture.Server.PostFormAsync("oauth/introspect", admin, ("token", token));
        var body = await introspection.Content.ReadAsStringAsync();
        using var answer = JsonDocument.Parse(body);
        if (change == "typ JWT (not an access token)" && introspection.StatusCode == HttpStatusCode.BadRequest)
            Assert.Equal("unsupported_token_type", answer.RootElement.GetProperty("error").GetString());
        else
        {
            Assert.True(introspection.StatusCode == HttpStatusCode.OK, $"{change}: introspection answered {(int)introspection.StatusCode} {body}");
            Assert.True(answer.RootElement.GetProperty("active").GetBoolean() == accepted, $"{change}: introspection answered {body}");
        }
    }

    [Fact]
    public async Task Issued_tokens_name_the_API_as_audience_and_carry_a_key_id_and_ES256_and_introspection_says_so()
    {
        var token = await fixture.Server.TokenAsync(ApiAccess.BootstrapAdmin(fixture.DataDirectory), "admin");
        var (header, payload, _) = Split(token);
        Assert.Equal("ES256", header["alg"]!.GetValue<string>());
        Assert.Equal("at+jwt", header["typ"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(header["kid"]?.GetValue<string>()));
        Assert.Equal("attest-api", payload["aud"] is JsonArray many ? Assert.Single(many)!.GetValue<string>() : payload["aud"]!.GetValue<string>());
        var introspected = await fixture.Server.IntrospectAsync(ApiAccess.BootstrapAdmin(fixture.DataDirectory), token);
        Assert.Equal("attest-api", introspected.GetProperty("aud").GetString());
    }

    private ECDsa ServerKey()
    {
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(Path.Combine(fixture.DataDirectory, "keys", "oauth-signing-key.pem")));
        return key;
    }

    private static string Forge(string template, ECDsa key, string change)
    {
        var (header, payload, signature) = Split(template);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        payload["exp"] = now + 300; // the fixture's tokens live 3 s; these must outlive the test
        switch (change)
        {
            case "resigned unchanged":
                return Es256(header, payload, key);
            case "not before, within the clock skew":
                payload["nbf"] = now + 10;
                return Es256(header, payload, key);
            case "signed by another key under the same kid":
            {
                using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                return Es256(header, payload, other);
            }
            case "alg none without a signature":
                header["alg"] = "none";
                return $"{Encode(header)}.{Encode(payload)}.";
            case "alg none with the original signature":
                header["alg"] = "none";
                return $"{Encode(header)}.{Encode(payload)}.{signature}";
            case "HS256 keyed with the public key's PEM":
                return Hs256(header, payload, Encoding.ASCII.GetBytes(key.ExportSubjectPublicKeyInfoPem()));
            case "HS256 keyed with the public key's DER":
                return Hs256(header, payload, key.ExportSubjectPublicKeyInfo());
            case "ES384 with the server's key":
            {
                header["alg"] = "ES384";
                var input = $"{Encode(header)}.{Encode(payload)}";
                return $"{input}.{Base64UrlEncoder.Encode(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA384))}";
            }
            case "kid unknown, signed by the server's key":
                header["kid"] = "0000000000000000000000000000000000000000000000000000000000000000";
                return Es256(header, payload, key);
            case "no kid, signed by the server's key":
                header.Remove("kid");
                return Es256(header, payload, key);
            case "expired a few seconds ago":
                payload["iat"] = now - 300;
                payload["exp"] = now - 5;
                return Es256(header, payload, key);
            case "not before, beyond the clock skew":
                payload["nbf"] = now + 600;
                return Es256(header, payload, key);
            case "issued in the future, beyond the clock skew":
                payload["iat"] = now + 600;
                payload["exp"] = now + 900;
                return Es256(header, payload, key);
            case "another audience":
                payload["aud"] = "some-other-api";
                return Es256(header, payload, key);
            case "no audience":
                payload.Remove("aud");
                return Es256(header, payload, key);
            case "another issuer":
                payload["iss"] = "https://issuer.elsewhere.test/";
                return Es256(header, payload, key);
            case "payload changed after signing":
            {
                var signed = Es256(header, payload, key).Split('.');
                payload["client_id"] = "attest-0000000000000000";
                return $"{signed[0]}.{Encode(payload)}.{signed[2]}";
            }
            case "typ JWT (not an access token)":
                header["typ"] = "JWT";
                return Es256(header, payload, key);
            default:
                throw new ArgumentException(change, nameof(change));
        }
    }

    private static (JsonObject Header, JsonObject Payload, string Signature) Split(string token)
    {
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        return (JsonNode.Parse(Base64UrlEncoder.DecodeBytes(parts[0]))!.AsObject(), JsonNode.Parse(Base64UrlEncoder.DecodeBytes(parts[1]))!.AsObject(), parts[2]);
    }

    private static string Encode(JsonObject part) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(part.ToJsonString()));

    private static string Es256(JsonObject header, JsonObject payload, ECDsa key)
    {
        var input = $"{Encode(header)}.{Encode(payload)}";
        return $"{input}.{Base64UrlEncoder.Encode(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256))}";
    }

    private static string Hs256(JsonObject header, JsonObject payload, byte[] secret)
    {
        header["alg"] = "HS256";
        var input = $"{Encode(header)}.{Encode(payload)}";
        return $"{input}.{Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)))}";
    }
}
