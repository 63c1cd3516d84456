using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Server.Auth;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Auth;

/// <summary>
/// Both grants end to end on a real server: a client-credentials token and a JWT-bearer token (a CI identity token from
/// a test OIDC issuer, exchanged by the rules of Attest:Auth:JwtBearer) obtained with <c>attest token</c>, used on the
/// API, reported active by introspection (RFC 7662), and refused at once after revocation (RFC 7009). The grant fails
/// closed: an identity no rule admits, a token minted for Sigstore, or an oversized assertion gets no token.
/// </summary>
public sealed class OAuthGrantsTests
{
    private const string Issuer = "https://ci.attest.test";

    [Fact]
    public async Task Client_credentials_and_JWT_bearer_tokens_work_are_introspected_active_and_stop_at_once_when_revoked()
    {
        using var workspace = new ServerWorkspace();
        using var ci = new TestOidcIssuer(Issuer, workspace.Combine("ci-jwks.json"));
        string[] keyless = [$"--Attest:Keyless:Issuers:0:Issuer={Issuer}", "--Attest:Keyless:Issuers:0:Type=github-workflow", $"--Attest:Keyless:Issuers:0:JwksFile={ci.JwksFile}"];

        // The clients exist first; the rule names the pipeline's client (whose secret nobody needs to hold).
        ApiAccess.Credentials pipelineClient, other;
        await using (var first = await workspace.Start(keyless).WaitUntilListeningAsync())
        {
            pipelineClient = await first.CreateClientAsync(workspace.DataDirectory, "acme-release", "sign", "verify");
            other = await first.CreateClientAsync(workspace.DataDirectory, "someone-else", "sign", "verify");
        }
        await using var server = await workspace.Start([.. keyless,
            $"--Attest:Auth:JwtBearer:Rules:0:Issuer={Issuer}", "--Attest:Auth:JwtBearer:Rules:0:Claims:repository=acme/*",
            "--Attest:Auth:JwtBearer:Rules:0:Claims:ref=refs/heads/main", $"--Attest:Auth:JwtBearer:Rules:0:ClientId={pipelineClient.ClientId}",
            "--Attest:Auth:JwtBearer:Rules:0:Scopes:0=verify"]).WaitUntilListeningAsync();
        var url = server.BaseUri.ToString();

        var credentialsFile = workspace.Combine("ci-credentials.json");
        await File.WriteAllTextAsync(credentialsFile, JsonSerializer.Serialize(new { client_id = other.ClientId, client_secret = other.ClientSecret }));
        var byCredentials = await CliRunner.RunAsync(workspace.Path, "token", "--url", url, "--credentials", credentialsFile, "--scope", "verify");
        Assert.True(byCredentials.ExitCode == 0, byCredentials.StandardError);
        var clientToken = byCredentials.StandardOutput.Trim();

        var identityFile = workspace.Combine("identity-token");
        await File.WriteAllTextAsync(identityFile, ci.Token(Claims(ci, "acme/payments", "refs/heads/main")));
        var byIdentity = await CliRunner.RunAsync(workspace.Path, "token", "--url", url, "--identity-token", identityFile);
        Assert.True(byIdentity.ExitCode == 0, byIdentity.StandardError);
        var pipelineToken = byIdentity.StandardOutput.Trim();

        // Both are ES256 JWTs checked with the published key, and both open the API for their scope.
        foreach (var token in new[] { clientToken, pipelineToken })
        {
            using var keys = await server.SendAsync(HttpMethod.Get, "v1/keys", token);
            Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
        }
        using (var forbidden = await server.SendAsync(HttpMethod.Post, "v1/signatures", pipelineToken, new StringContent("{}", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode); // the rule gives verify only

        var admin = ApiAccess.BootstrapAdmin(workspace.DataDirectory);
        var client = await server.IntrospectAsync(admin, clientToken);
        Assert.True(client.GetProperty("active").GetBoolean());
        Assert.Equal(other.ClientId, client.GetProperty("client_id").GetString());
        Assert.Equal("verify", client.GetProperty("scope").GetString());
        var pipeline = await server.IntrospectAsync(admin, pipelineToken);
        Assert.True(pipeline.GetProperty("active").GetBoolean());
        Assert.Equal(pipelineClient.ClientId, pipeline.GetProperty("client_id").GetString());
        Assert.Equal("verify", pipeline.GetProperty("scope").GetString());
        // A client sees its own tokens only.
        Assert.True((await server.IntrospectAsync(other, clientToken)).GetProperty("active").GetBoolean());
        Assert.False((await server.IntrospectAsync(other, pipelineToken)).GetProperty("active").GetBoolean());
        using (var foreign = await server.PostFormAsync("oauth/revoke", other, ("token", pipelineToken)))
            Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);

        // Revoked: refused on the very next request, and inactive.
        using (var revoked = await server.PostFormAsync("oauth/revoke", other, ("token", clientToken))) Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        using (var revoked = await server.PostFormAsync("oauth/revoke", admin, ("token", pipelineToken))) Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        foreach (var token in new[] { clientToken, pipelineToken })
        {
            using var refused = await server.SendAsync(HttpMethod.Get, "v1/keys", token);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("revoked", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            Assert.False((await server.IntrospectAsync(admin, token)).GetProperty("active").GetBoolean());
        }
        // Revoking one token leaves the client's others alone.
        var fresh = await server.TokenAsync(other, "verify");
        using (var works = await server.SendAsync(HttpMethod.Get, "v1/keys", fresh)) Assert.Equal(HttpStatusCode.OK, works.StatusCode);

        // Revoking the rule's client stops its JWT-bearer tokens too, and the grant with it.
        var second = await JwtBearerAsync(server, ci.Token(Claims(ci, "acme/payments", "refs/heads/main")));
        Assert.Equal(HttpStatusCode.OK, second.Status);
        var adminToken = await server.TokenAsync(admin, "admin");
        using (var revokeClient = await server.SendAsync(HttpMethod.Delete, $"v1/clients/{pipelineClient.ClientId}", adminToken))
            Assert.Equal(HttpStatusCode.OK, revokeClient.StatusCode);
        using (var refused = await server.SendAsync(HttpMethod.Get, "v1/keys", second.Body.GetProperty("access_token").GetString()))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var afterRevocation = await JwtBearerAsync(server, ci.Token(Claims(ci, "acme/payments", "refs/heads/main")));
        Assert.Equal("invalid_grant", afterRevocation.Body.GetProperty("error").GetString());

        // No secret and no token in the logs.
        var logs = server.StandardOutput + server.StandardError;
        foreach (var secret in new[] { clientToken, pipelineToken, other.ClientSecret, File.ReadAllText(identityFile) })
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JWT_bearer_grant_fails_closed_on_identities_no_rule_admits_foreign_audiences_and_oversized_assertions()
    {
        using var workspace = new ServerWorkspace();
        using var ci = new TestOidcIssuer(Issuer, workspace.Combine("ci-jwks.json"));
        using var stranger = new TestOidcIssuer("https://stranger.attest.test", workspace.Combine("stranger-jwks.json"));
        await using var server = await workspace.Start(
            $"--Attest:Keyless:Issuers:0:Issuer={Issuer}", "--Attest:Keyless:Issuers:0:Type=github-workflow", $"--Attest:Keyless:Issuers:0:JwksFile={ci.JwksFile}",
            $"--Attest:Auth:JwtBearer:Rules:0:Issuer={Issuer}", "--Attest:Auth:JwtBearer:Rules:0:Claims:repository=acme/payments",
            "--Attest:Auth:JwtBearer:Rules:0:ClientId=attest-0000000000000000").WaitUntilListeningAsync();

        var cases = new (string Assertion, string Error, string Why)[]
        {
            (ci.Token(Claims(ci, "evil/payments", "refs/heads/main")), "invalid_grant", "no rule"),
            (ci.Token(Claims(ci, "acme/payments", "refs/heads/main", audience: "sigstore")), "invalid_grant", "audience"),
            (stranger.Token(Claims(stranger, "acme/payments", "refs/heads/main")), "invalid_grant", "issuer"),
            (TestOidcIssuer.UnsignedToken(Claims(ci, "acme/payments", "refs/heads/main")), "invalid_grant", "alg"),
            // The rule matches, but its client is not registered: no token.
            (ci.Token(Claims(ci, "acme/payments", "refs/heads/main")), "invalid_grant", "not registered"),
            ("x." + new string('a', 17_000) + ".y", "invalid_request", "too long"),
            ("", "invalid_request", "assertion"),
        };
        foreach (var (assertion, error, why) in cases)
        {
            var (status, body) = await JwtBearerAsync(server, assertion);
            Assert.True(status == HttpStatusCode.BadRequest, $"{why}: {(int)status} {body}");
            Assert.Equal(error, body.GetProperty("error").GetString());
            Assert.Contains(why, body.GetProperty("error_description").GetString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Discovery_names_the_endpoints_and_the_JWKS_holds_the_key_access_tokens_are_signed_with()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        foreach (var path in new[] { ".well-known/oauth-authorization-server", ".well-known/openid-configuration" })
        {
            using var metadata = JsonDocument.Parse(await server.Client.GetStringAsync(path));
            var root = metadata.RootElement;
            Assert.EndsWith("/oauth/token", root.GetProperty("token_endpoint").GetString(), StringComparison.Ordinal);
            Assert.EndsWith("/oauth/introspect", root.GetProperty("introspection_endpoint").GetString(), StringComparison.Ordinal);
            Assert.EndsWith("/oauth/revoke", root.GetProperty("revocation_endpoint").GetString(), StringComparison.Ordinal);
            Assert.Equal(["client_credentials", OAuthServer.JwtBearerGrantType], root.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()).Order());
            Assert.DoesNotContain("private_key_jwt", root.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()));
        }
        using var jwks = JsonDocument.Parse(await server.Client.GetStringAsync(".well-known/jwks"));
        var key = Assert.Single(jwks.RootElement.GetProperty("keys").EnumerateArray());
        Assert.Equal("ES256", key.GetProperty("alg").GetString());

        // The token verifies with that key, independently of the server.
        var token = await server.TokenAsync(ApiAccess.BootstrapAdmin(workspace.DataDirectory));
        var parts = token.Split('.');
        using var header = JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[0]));
        Assert.Equal(key.GetProperty("kid").GetString(), header.RootElement.GetProperty("kid").GetString());
        using var ecdsa = System.Security.Cryptography.ECDsa.Create(new System.Security.Cryptography.ECParameters
        {
            Curve = System.Security.Cryptography.ECCurve.NamedCurves.nistP256,
            Q = new() { X = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(key.GetProperty("x").GetString()), Y = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(key.GetProperty("y").GetString()) },
        });
        Assert.True(ecdsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[2]),
            System.Security.Cryptography.HashAlgorithmName.SHA256));
    }

    [Theory]
    [InlineData("acme/*", "acme/payments", true)]
    [InlineData("acme/*", "acme/", true)]
    [InlineData("acme/*", "acme", false)]
    [InlineData("acme/*", "evil/acme/x", false)]
    [InlineData("refs/heads/main", "refs/heads/main", true)]
    [InlineData("refs/heads/main", "refs/heads/mainline", false)]
    [InlineData("*/release.yml@refs/tags/*", "acme/x/.github/workflows/release.yml@refs/tags/v1", true)]
    [InlineData("a*b*c", "abxbxc", true)]
    [InlineData("a*b*c", "abxbx", false)]
    public void Claim_patterns_match_whole_values_with_star_as_any_run(string pattern, string value, bool matches) =>
        Assert.Equal(matches, JwtBearerGrant.Glob(pattern, value));

    [Theory]
    [InlineData("--Attest:Auth:JwtBearer:Rules:0:ClientId=attest-x", "Claims must hold at least one condition")]
    [InlineData("--Attest:Auth:JwtBearer:Rules:0:Claims:repository=*", "matches everything")]
    [InlineData("--Attest:Auth:JwtBearer:Audience=sigstore", "must not be 'sigstore'")]
    public async Task A_rule_that_would_admit_too_much_stops_start_up(string setting, string message)
    {
        using var workspace = new ServerWorkspace();
        await using var server = workspace.Start(setting, $"--Attest:Auth:JwtBearer:Rules:0:Issuer={Issuer}");
        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(message, server.StandardError, StringComparison.Ordinal);
    }

    private static JsonObject Claims(TestOidcIssuer issuer, string repository, string gitRef, string audience = "attest")
    {
        var claims = issuer.GitHubClaims(repository, gitRef);
        claims["aud"] = audience;
        return claims;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> JwtBearerAsync(ServerProcess server, string assertion)
    {
        using var response = await server.PostFormAsync("oauth/token", null, ("grant_type", OAuthServer.JwtBearerGrantType), ("assertion", assertion));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
