using System.Net;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Auth;

public sealed class RateLimitTests
{
    [Fact]
    public async Task A_client_over_its_rate_gets_429_with_Retry_After_and_other_clients_are_not_affected()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start("--Attest:Auth:PermitsPerSecond=1", "--Attest:Auth:Burst=3").WaitUntilListeningAsync();
        var greedy = await server.TokenAsync(await server.CreateClientAsync(workspace.DataDirectory, "greedy", "admin"));
        var other = await server.TokenAsync(await server.CreateClientAsync(workspace.DataDirectory, "other", "admin"));

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10 && limited is null; i++)
        {
            var response = await server.SendAsync(HttpMethod.Get, "v1/clients", greedy);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
            else response.Dispose();
        }
        Assert.NotNull(limited);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 2, string.Join(",", statuses));
        Assert.True(limited!.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        limited.Dispose();

        using var unaffected = await server.SendAsync(HttpMethod.Get, "v1/clients", other);
        Assert.Equal(HttpStatusCode.OK, unaffected.StatusCode);
    }
}
