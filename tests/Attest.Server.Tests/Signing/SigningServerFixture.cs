using System.Net.Http.Json;
using System.Text.Json;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Signing;

/// <summary>A server and a CI client holding sign and verify, with the trusted root and the active public key saved
/// as files, as a CI job would keep them for verifiers.</summary>
public sealed class SigningServerFixture : IAsyncLifetime
{
    private readonly ServerWorkspace _workspace = new();

    public ServerProcess Server { get; private set; } = null!;

    public string DataDirectory => _workspace.DataDirectory;

    public string Combine(params string[] parts) => _workspace.Combine(parts);

    public string Token { get; private set; } = "";

    public string TrustedRootFile => _workspace.Combine("trusted_root.json");

    public string PublicKeyFile => _workspace.Combine("signing-key.pub");

    public async Task InitializeAsync()
    {
        Server = await _workspace.Start().WaitUntilListeningAsync();
        Token = await Server.TokenForScopesAsync(DataDirectory, "sign", "verify");
        using (var root = await Server.SendAsync(HttpMethod.Get, "v1/trusted-root", Token))
            await File.WriteAllBytesAsync(TrustedRootFile, await root.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync());
        await File.WriteAllTextAsync(PublicKeyFile, await ActivePublicKeyAsync());
    }

    public async Task<string> ActivePublicKeyAsync()
    {
        using var keys = await Server.SendAsync(HttpMethod.Get, "v1/keys", Token);
        using var document = JsonDocument.Parse(await keys.EnsureSuccessStatusCode().Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("keys")[0].GetProperty("publicKey").GetString()!;
    }

    /// <summary>Posts a JSON request and returns the status and parsed body.</summary>
    public async Task<(System.Net.HttpStatusCode Status, JsonElement Body)> PostAsync(string path, object body, string? token = null)
    {
        using var response = await Server.SendAsync(HttpMethod.Post, path, token ?? Token, JsonContent.Create(body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _workspace.Dispose();
    }
}
