using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Attest.Testing;

namespace Attest.Server.Tests.Auth;

public sealed class TokenEndpointTests(AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    private ServerProcess Server => fixture.Server;

    [Fact]
    public async Task Client_secret_basic_and_client_secret_post_both_issue_tokens_with_the_granted_scopes()
    {
        var client = await Server.CreateClientAsync(fixture.DataDirectory, "ci", "sign", "verify");

        using var basic = await Post(Form(("grant_type", "client_credentials")), client);
        Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
        Assert.Equal("no-store", basic.Headers.CacheControl?.ToString());
        using var issued = JsonDocument.Parse(await basic.Content.ReadAsStringAsync());
        Assert.Equal("Bearer", issued.RootElement.GetProperty("token_type").GetString());
        Assert.Equal("sign verify", issued.RootElement.GetProperty("scope").GetString());
        // The JWT's exp is in whole seconds, so up to one second of the lifetime can be lost to rounding.
        Assert.InRange(issued.RootElement.GetProperty("expires_in").GetInt64(), (long)AuthServerFixture.TokenLifetime.TotalSeconds - 1, (long)AuthServerFixture.TokenLifetime.TotalSeconds);

        using var post = await Post(Form(("grant_type", "client_credentials"), ("client_id", client.ClientId), ("client_secret", client.ClientSecret), ("scope", "verify")));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        using var narrowed = JsonDocument.Parse(await post.Content.ReadAsStringAsync());
        Assert.Equal("verify", narrowed.RootElement.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Wrong_secret_unknown_client_and_missing_credentials_are_invalid_client()
    {
        var client = await Server.CreateClientAsync(fixture.DataDirectory, "ci", "sign");

        using var wrong = await Post(Form(("grant_type", "client_credentials")), client with { ClientSecret = client.ClientSecret + "x" });
        await AssertError(wrong, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal("Basic", wrong.Headers.WwwAuthenticate.Single().Scheme);

        using var unknown = await Post(Form(("grant_type", "client_credentials")), client with { ClientId = "attest-0000000000000000" });
        await AssertError(unknown, HttpStatusCode.Unauthorized, "invalid_client");

        using var none = await Post(Form(("grant_type", "client_credentials")));
        await AssertError(none, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Theory]
    [InlineData("grant_type=password", "unsupported_grant_type")]
    [InlineData("scope=sign", "invalid_request")]
    [InlineData("grant_type=client_credentials&scope=admin", "invalid_scope")]
    [InlineData("grant_type=client_credentials&scope=nonsense", "invalid_scope")]
    [InlineData("grant_type=client_credentials&grant_type=client_credentials", "invalid_request")]
    public async Task Bad_token_requests_get_the_RFC_6749_error(string body, string error)
    {
        var client = await Server.CreateClientAsync(fixture.DataDirectory, "ci", "sign");
        using var response = await Post(new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"), client);
        await AssertError(response, HttpStatusCode.BadRequest, error);
    }

    [Fact]
    public async Task Two_client_authentication_methods_or_a_JSON_body_are_invalid_requests()
    {
        var client = await Server.CreateClientAsync(fixture.DataDirectory, "ci", "sign");
        using var both = await Post(Form(("grant_type", "client_credentials"), ("client_secret", client.ClientSecret)), client);
        await AssertError(both, HttpStatusCode.BadRequest, "invalid_request");

        using var json = await Post(new StringContent("""{"grant_type":"client_credentials"}""", Encoding.UTF8, "application/json"), client);
        await AssertError(json, HttpStatusCode.BadRequest, "invalid_request");

        using var huge = await Post(new StringContent("grant_type=client_credentials&x=" + new string('a', 20_000), Encoding.UTF8, "application/x-www-form-urlencoded"), client);
        await AssertError(huge, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [InlineData("oauth/token")]
    [InlineData("oauth/introspect")]
    [InlineData("oauth/revoke")]
    public async Task A_body_without_a_length_is_held_to_the_same_size_limit(string path)
    {
        var client = await Server.CreateClientAsync(fixture.DataDirectory, "ci", "verify");
        var token = await Server.TokenAsync(client);
        // Each field within the form's per-field limits, together far beyond the body limit, sent chunked (no Content-Length).
        var fields = string.Concat(Enumerable.Range(0, 8).Select(i => $"&f{i}={new string('a', 8_000)}"));
        var body = path == "oauth/token" ? "grant_type=client_credentials" + fields : $"token={token}" + fields;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Server.BaseUri, path)) { Content = new UnsizedContent(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.ClientId}:{client.ClientSecret}")));
        using var response = await Server.Client.SendAsync(request);
        Assert.True(request.Headers.TransferEncodingChunked is true || request.Content.Headers.ContentLength is null, "the body must be sent without a length");
        await AssertError(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [InlineData("oauth/introspect")]
    [InlineData("oauth/token")]
    [InlineData("oauth/revoke")]
    public async Task OAuth_endpoints_refuse_GET_so_no_token_travels_in_the_URL(string path)
    {
        var client = await Server.CreateClientAsync(fixture.DataDirectory, "ci", "verify");
        var token = await Server.TokenAsync(client);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Server.BaseUri, $"{path}?token={token}&grant_type=client_credentials"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.ClientId}:{client.ClientSecret}")));
        using var response = await Server.Client.SendAsync(request);
        await AssertError(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.DoesNotContain(token, Server.StandardOutput + Server.StandardError, StringComparison.Ordinal);
    }

    /// <summary>A form body whose length is not known up front, so HttpClient sends it chunked.</summary>
    private sealed class UnsizedContent : HttpContent
    {
        private readonly byte[] _body;

        public UnsizedContent(string body)
        {
            _body = Encoding.ASCII.GetBytes(body);
            Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(_body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task A_revoked_client_can_do_nothing_even_with_a_token_issued_before()
    {
        var client = await Server.CreateClientAsync(fixture.DataDirectory, "to-revoke", "admin");
        var token = await Server.TokenAsync(client);
        using (var before = await Server.SendAsync(HttpMethod.Get, "v1/clients", token)) Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        var admin = await Server.TokenAsync(ApiAccess.BootstrapAdmin(fixture.DataDirectory), "admin");
        using (var revoke = await Server.SendAsync(HttpMethod.Delete, $"v1/clients/{client.ClientId}", admin))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
            using var revoked = JsonDocument.Parse(await revoke.Content.ReadAsStringAsync());
            Assert.True(revoked.RootElement.TryGetProperty("revokedAt", out _));
        }

        using (var after = await Server.SendAsync(HttpMethod.Get, "v1/clients", token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
            Assert.Contains("revoked", after.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        using var again = await Post(Form(("grant_type", "client_credentials")), client);
        await AssertError(again, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Theory]
    [InlineData("""{"name":"x","scopes":["root"]}""", "scope 'root' is unknown")]
    [InlineData("""{"name":"","scopes":["sign"]}""", "name must be")]
    [InlineData("""{"name":"x","scopes":[]}""", "scopes must list")]
    [InlineData("""{"name":"x","scopes":["sign"],"owner":"me"}""", "has an unknown field 'owner' at $ (allowed here: name, scopes)")]
    [InlineData("""{"name":"x",""", "not valid JSON")]
    public async Task Creating_a_client_with_bad_input_is_a_precise_400(string body, string message)
    {
        var admin = await Server.TokenAsync(ApiAccess.BootstrapAdmin(fixture.DataDirectory), "admin");
        using var response = await Server.SendAsync(HttpMethod.Post, "v1/clients", admin, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_bootstrap_credentials_are_owner_only_and_no_secret_reaches_the_logs()
    {
        var path = Path.Combine(fixture.DataDirectory, "admin-credentials.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var client = await Server.CreateClientAsync(fixture.DataDirectory, "ci", "sign");
        var token = await Server.TokenAsync(client);
        using (await Server.SendAsync(HttpMethod.Get, "v1/clients", token)) { }
        var logs = Server.StandardOutput + Server.StandardError;
        Assert.DoesNotContain(ApiAccess.BootstrapAdmin(fixture.DataDirectory).ClientSecret, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(client.ClientSecret, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(token, logs, StringComparison.Ordinal);
        Assert.Contains(ApiAccess.BootstrapAdmin(fixture.DataDirectory).ClientId, logs, StringComparison.Ordinal);
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    private async Task<HttpResponseMessage> Post(HttpContent content, ApiAccess.Credentials? basic = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Server.BaseUri, "oauth/token")) { Content = content };
        if (basic is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{basic.ClientId}:{basic.ClientSecret}")));
        return await Server.Client.SendAsync(request);
    }

    private static async Task AssertError(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        Assert.Equal(error, document.RootElement.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(document.RootElement.GetProperty("error_description").GetString()));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }
}
