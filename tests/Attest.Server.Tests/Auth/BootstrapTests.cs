using System.Net;
using System.Text.Json;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Auth;

public sealed class BootstrapTests
{
    [Fact]
    public async Task A_credentials_file_left_by_a_failed_first_start_is_registered_on_the_next_start()
    {
        using var workspace = new ServerWorkspace();
        Directory.CreateDirectory(workspace.DataDirectory);
        var left = new { client_id = "attest-00000000deadbeef", client_secret = "attest_secret_" + Guid.NewGuid().ToString("N"), scope = "admin audit" };
        var path = Path.Combine(workspace.DataDirectory, "admin-credentials.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(left));
        // As the server writes it: owner-only (a file anyone else could have written is not adopted, see CredentialHygieneTests).
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var token = await server.TokenAsync(new ApiAccess.Credentials(left.client_id, left.client_secret), "admin");
        using var clients = await server.SendAsync(HttpMethod.Get, "v1/clients", token);
        Assert.Equal(HttpStatusCode.OK, clients.StatusCode);
        Assert.Contains(left.client_id, await clients.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_running_servers_live_log_verifies_with_attest_ledger_verify_url_and_an_audit_token()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "audit");
        // Wait for a checkpoint covering every entry start-up wrote (the ledger signs one within a second).
        JsonElement checkpoint;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await server.SendAsync(HttpMethod.Get, "v1/ledger/checkpoint", token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                checkpoint = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                using var entries = await server.SendAsync(HttpMethod.Get, "v1/ledger/entries?order=desc&limit=1", token);
                var newest = JsonDocument.Parse(await entries.Content.ReadAsStringAsync()).RootElement.GetProperty("entries")[0].GetProperty("index").GetInt64();
                if (checkpoint.GetProperty("size").GetInt64() > newest) break;
            }
            Assert.True(DateTime.UtcNow < deadline, "no checkpoint covers the ledger");
            await Task.Delay(200);
        }
        var vkey = checkpoint.GetProperty("verifierKeys")[0].GetString()!;
        var cli = RepositoryPaths.ProjectOutput("Attest.Cli", "attest.dll");
        string[] arguments = [cli, "ledger", "verify", "--url", new Uri(server.BaseUri, "v1/ledger/log/").ToString(), "--vkey", vkey];

        var (verified, output) = await RigProcess.RunAsync("dotnet", arguments, check: false, environment: new Dictionary<string, string> { ["ATTEST_TOKEN"] = token });
        Assert.True(verified == 0, output);
        var (refused, _) = await RigProcess.RunAsync("dotnet", arguments, check: false, environment: new Dictionary<string, string> { ["ATTEST_TOKEN"] = "" });
        Assert.NotEqual(0, refused);
    }
}
