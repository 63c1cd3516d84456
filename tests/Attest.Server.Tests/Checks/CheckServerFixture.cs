using System.Net.Http.Headers;
using System.Text.Json;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Checks;

/// <summary>One server for the check tests, with the example policies plus named GoSumPolicy and SbomPolicy
/// documents the tests select, and a sign-scoped token as a CI job has.</summary>
public sealed class CheckServerFixture : IAsyncLifetime
{
    private readonly ServerWorkspace _workspace = new();

    public ServerProcess Server { get; private set; } = null!;

    public string SignToken { get; private set; } = null!;

    public string VerifyToken { get; private set; } = null!;

    public string WorkspacePath => _workspace.Path;

    public string LedgerDatabase => Path.Combine(_workspace.DataDirectory, "ledger.db");

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "checks.yaml"), """
            apiVersion: attest.dev/v1
            kind: GoSumPolicy
            metadata: {name: no-attest-a}
            spec:
              deniedModules: ["example.com/attest/a@<=v1.0.0"]
            ---
            apiVersion: attest.dev/v1
            kind: SbomPolicy
            metadata: {name: ntia}
            spec: {ntiaMinimumElements: true}
            ---
            apiVersion: attest.dev/v1
            kind: SbomPolicy
            metadata: {name: no-cc-by}
            spec: {deniedLicenses: [CC-BY-3.0]}
            """);
        Server = await _workspace.Start().WaitUntilListeningAsync();
        SignToken = await Server.TokenForScopesAsync(_workspace.DataDirectory, "sign");
        VerifyToken = await Server.TokenForScopesAsync(_workspace.DataDirectory, "verify");
    }

    /// <summary>Posts a multipart form with the sign token.</summary>
    public async Task<(int Status, JsonDocument Body)> PostAsync(string path, MultipartFormDataContent form)
    {
        using var response = await Server.SendAsync(HttpMethod.Post, path, SignToken, form);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "{}" : text));
    }

    /// <summary>Posts with <c>Expect: 100-continue</c>, as curl does for large bodies: a request refused by its
    /// Content-Length is answered before the body is sent.</summary>
    public async Task<(int Status, JsonDocument Body)> PostExpectingContinueAsync(string path, MultipartFormDataContent form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Server.BaseUri, path)) { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SignToken);
        request.Headers.ExpectContinue = true;
        // The default wait for 100 Continue (1 s) is shorter than a busy test machine may take to answer.
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(1) });
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    public async Task<string> GetWithVerifyTokenAsync(string path)
    {
        using var response = await Server.SendAsync(HttpMethod.Get, path, VerifyToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _workspace.Dispose();
    }
}

/// <summary>Builds the multipart forms the check endpoints take.</summary>
internal static class Forms
{
    public static MultipartFormDataContent Add(this MultipartFormDataContent form, string name, string value)
    {
        form.Add(new StringContent(value), name);
        return form;
    }

    public static MultipartFormDataContent AddFile(this MultipartFormDataContent form, string name, byte[] content, string? fileName = null)
    {
        var part = new ByteArrayContent(content);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(part, name, fileName ?? name);
        return form;
    }
}
