using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Auth;

/// <summary>One server shared by a test class, with a short token lifetime so expiry can be observed.</summary>
public sealed class AuthServerFixture : IAsyncLifetime
{
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(3);
    private readonly ServerWorkspace _workspace = new();

    public ServerProcess Server { get; private set; } = null!;

    public string DataDirectory => _workspace.DataDirectory;

    public async Task InitializeAsync() =>
        // The matrix asks for a fresh token per call (they live 3 s): lift the per-address token limit, which RateLimitTests covers.
        Server = await _workspace.Start($"--Attest:Auth:TokenLifetime={TokenLifetime:c}", "--Attest:Auth:TokenRequestsPerSecond=10000").WaitUntilListeningAsync();

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _workspace.Dispose();
    }
}
