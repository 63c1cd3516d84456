using Attest.Testing;

namespace Attest.Server.Tests.Audit;

/// <summary>The one place the audit tests get their access to the server: every HttpClient and every browser session
/// of these tests comes from here, so the credentials they use (a bearer token with scope <c>audit</c>, once the
/// server requires one) are added in one place.</summary>
internal static class AuditAccess
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ServerProcess, Task<string>> Tokens = new();

    /// <summary>An access token with scope <c>audit</c> (one per server), for a client the bootstrap administrator
    /// registers; the browser test types it into the page's sign-in box.</summary>
    public static Task<string> TokenAsync(ServerProcess server) =>
        Tokens.GetValue(server, s => s.TokenForScopesAsync(Path.Combine(s.WorkingDirectory, "data"), "audit"));

    /// <summary>A client for the auditors' API of <paramref name="server"/>, carrying <see cref="TokenAsync"/>.</summary>
    public static async Task<HttpClient> CreateClientAsync(ServerProcess server, bool followRedirects = true)
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = followRedirects };
        var client = new HttpClient(handler) { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await TokenAsync(server));
        return client;
    }
}
