using System.Net;
using System.Text;
using System.Text.Json;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Api;

/// <summary>
/// Every 4xx a person meets on the API is an RFC 9457 problem that says what to do: a token without the scope names
/// the scope (header and body), a body of another media type names the one expected, an unknown JSON field names the
/// field and its path and never a .NET type, and the framework's own refusals (no token, no such path, wrong method)
/// carry a problem too. Through the real server process.
/// </summary>
public sealed class ProblemResponseTests : IAsyncLifetime
{
    private readonly ServerWorkspace _workspace = new();
    private ServerProcess _server = null!;

    public async Task InitializeAsync() => _server = await _workspace.Start().WaitUntilListeningAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _workspace.Dispose();
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Token_without_the_scope_is_a_403_problem_naming_the_scope_with_insufficient_scope()
    {
        var token = await _server.TokenForScopesAsync(_workspace.DataDirectory, "audit");
        using var response = await _server.SendAsync(HttpMethod.Post, "v1/signatures", token,
            new StringContent("""{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Bearer error=\"insufficient_scope\", scope=\"sign\"", response.Headers.WwwAuthenticate.ToString());
        var problem = await ProblemAsync(response);
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.Equal("sign", problem.GetProperty("scope").GetString());
        Assert.Contains("needs a token with scope 'sign'; this token has scope 'audit'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Form_encoded_body_is_a_415_problem_naming_application_json()
    {
        var token = await _server.TokenForScopesAsync(_workspace.DataDirectory, "sign");
        // What curl -d sends when no Content-Type is given.
        using var response = await _server.SendAsync(HttpMethod.Post, "v1/signatures", token,
            new StringContent("""{"digest":"sha256:00"}""", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var detail = (await ProblemAsync(response)).GetProperty("detail").GetString();
        Assert.Contains("takes application/json, not application/x-www-form-urlencoded", detail, StringComparison.Ordinal);
        Assert.Contains("-H 'Content-Type: application/json'", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"digest":"sha256:00","extra":1}""", "has an unknown field 'extra' at $ (allowed here: digest, artifact, push)")]
    [InlineData("""{"push":{"image":"r.example/a:1","force":true}}""", "has an unknown field 'force' at $.push (allowed here: image, referrer, legacy)")]
    [InlineData("""{"digest":17}""", "has a value of the wrong type at $.digest: it must be a string")]
    [InlineData("""{"digest":"sha256:00",}""", "is not valid JSON")]
    public async Task Bad_json_is_a_400_naming_the_field_and_path_but_no_dotnet_type(string body, string expected)
    {
        var token = await _server.TokenForScopesAsync(_workspace.DataDirectory, "sign");
        using var response = await _server.SendAsync(HttpMethod.Post, "v1/signatures", token, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await ProblemAsync(response)).GetProperty("detail").GetString()!;
        Assert.Contains(expected, detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Attest.", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(".NET", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "v1/nothing-here", 404, "nothing is served at GET /v1/nothing-here")]
    [InlineData("PUT", "healthz", 405, "/healthz does not take PUT; it takes GET")]
    [InlineData("GET", "v1/keys", 401, "needs an access token: get one from POST /oauth/token")]
    public async Task Framework_refusals_are_problems_that_say_what_to_do(string method, string path, int status, string expected)
    {
        using var response = await _server.SendAsync(new HttpMethod(method), path, token: null);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(expected, (await ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_or_foreign_token_is_a_401_problem()
    {
        using var response = await _server.SendAsync(HttpMethod.Get, "v1/keys", "not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("the access token is invalid, expired or its client revoked", (await ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
