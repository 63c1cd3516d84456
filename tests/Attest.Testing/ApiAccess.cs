using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Attest.Testing;

/// <summary>Client credentials and access tokens for a running server, obtained the way a CI job does: the bootstrap
/// administrator's credentials file, <c>POST /v1/clients</c>, and the client-credentials grant at <c>/oauth/token</c>.</summary>
public static class ApiAccess
{
    public sealed record Credentials(string ClientId, string ClientSecret);

    /// <summary>The bootstrap administrator the server created on its first start in <paramref name="dataDirectory"/>.</summary>
    public static Credentials BootstrapAdmin(string dataDirectory)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(dataDirectory, "admin-credentials.json")));
        return new Credentials(document.RootElement.GetProperty("client_id").GetString()!, document.RootElement.GetProperty("client_secret").GetString()!);
    }

    /// <summary>A token by the client-credentials grant (HTTP Basic client authentication).</summary>
    public static async Task<string> TokenAsync(this ServerProcess server, Credentials credentials, string? scope = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseUri, "oauth/token"))
        {
            Content = new FormUrlEncodedContent(scope is null
                ? [new("grant_type", "client_credentials")]
                : [new("grant_type", "client_credentials"), new("scope", scope)]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(credentials.ClientId)}:{Uri.EscapeDataString(credentials.ClientSecret)}")));
        using var response = await server.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"token request failed: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>Registers a client with the given scopes, using the bootstrap administrator.</summary>
    public static async Task<Credentials> CreateClientAsync(this ServerProcess server, string dataDirectory, string name, params string[] scopes)
    {
        var admin = await server.TokenAsync(BootstrapAdmin(dataDirectory), "admin");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseUri, "v1/clients"))
        {
            Content = JsonContent.Create(new { name, scopes }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        using var response = await server.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"creating client failed: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return new Credentials(document.RootElement.GetProperty("clientId").GetString()!, document.RootElement.GetProperty("clientSecret").GetString()!);
    }

    /// <summary>A token for a new client holding exactly <paramref name="scopes"/>.</summary>
    public static async Task<string> TokenForScopesAsync(this ServerProcess server, string dataDirectory, params string[] scopes) =>
        await server.TokenAsync(await server.CreateClientAsync(dataDirectory, "test-" + string.Join("-", scopes), scopes));

    /// <summary>POSTs OAuth form fields (token, introspection, revocation), with HTTP Basic client authentication or none.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(this ServerProcess server, string path, Credentials? basic, params (string Key, string Value)[] fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseUri, path))
        {
            Content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))),
        };
        if (basic is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{basic.ClientId}:{basic.ClientSecret}")));
        return await server.Client.SendAsync(request);
    }

    /// <summary>RFC 7662 introspection of <paramref name="token"/> by <paramref name="caller"/>: the answer's JSON (200 required).</summary>
    public static async Task<JsonElement> IntrospectAsync(this ServerProcess server, Credentials caller, string token)
    {
        using var response = await server.PostFormAsync("oauth/introspect", caller, ("token", token));
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != System.Net.HttpStatusCode.OK) throw new HttpRequestException($"introspection failed: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    /// <summary>Sends a request with a bearer token (or none).</summary>
    public static async Task<HttpResponseMessage> SendAsync(this ServerProcess server, HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(server.BaseUri, path.TrimStart('/'))) { Content = content };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await server.Client.SendAsync(request);
    }
}
