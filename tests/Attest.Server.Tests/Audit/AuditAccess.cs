using Attest.Testing;

namespace Attest.Server.Tests.Audit;

/// <summary>The one place the audit tests get their access to the server: every HttpClient and every browser session
/// of these tests comes from here, so the credentials they use (a bearer token with scope <c>audit</c>, once the
/// server requires one) are added in one place.</summary>
internal static class AuditAccess
{
    /// <summary>The access token the browser test types into the page's sign-in box. Until the API requires
    /// authentication any non-empty value works; the browser test checks that the page sends it as a bearer token.</summary>
    public static Task<string> TokenAsync(ServerProcess server)
    {
        _ = server;
        return Task.FromResult("audit-test-token");
    }

    /// <summary>A client for the auditors' API of <paramref name="server"/>, carrying <see cref="TokenAsync"/>.</summary>
    public static async Task<HttpClient> CreateClientAsync(ServerProcess server, bool followRedirects = true)
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = followRedirects };
        var client = new HttpClient(handler) { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await TokenAsync(server));
        return client;
    }
}
