using System.Net;
using System.Text.Json;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Auth;

/// <summary>
/// No way to lock yourself out: the last active administrator cannot be revoked (through the API or the CLI), another
/// administrator can take over first, and Attest:Auth:RecoveryCredentialsFile issues a new administrator on start-up,
/// recorded in the ledger, when the last one was lost.
/// </summary>
public sealed class AdministratorLockoutTests
{
    [Fact]
    public async Task The_last_administrator_cannot_revoke_itself_but_can_once_another_exists()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var bootstrap = ApiAccess.BootstrapAdmin(workspace.DataDirectory);
        var url = server.BaseUri.ToString();
        var credentials = Path.Combine(workspace.DataDirectory, "admin-credentials.json");

        var refused = await CliRunner.RunAsync(workspace.Path, "client", "revoke", "--url", url, "--credentials", credentials, bootstrap.ClientId);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("409", refused.StandardError, StringComparison.Ordinal);
        Assert.Contains("is the last active client with scope admin", refused.StandardError, StringComparison.Ordinal);
        var admin = await server.TokenAsync(bootstrap, "admin"); // still works
        using (var list = await server.SendAsync(HttpMethod.Get, "v1/clients", admin)) Assert.Equal(HttpStatusCode.OK, list.StatusCode);

        // A second administrator first; then the bootstrap one may go, and the new one is the last.
        var created = await CliRunner.RunAsync(workspace.Path, "client", "create", "--url", url, "--credentials", credentials,
            "--name", "ops", "--scope", "admin", "--scope", "audit", "--out", "ops.json");
        Assert.True(created.ExitCode == 0, created.StandardError);
        var revoked = await CliRunner.RunAsync(workspace.Path, "client", "revoke", "--url", url, "--credentials", credentials, bootstrap.ClientId);
        Assert.True(revoked.ExitCode == 0, revoked.StandardError);
        var ops = JsonDocument.Parse(await File.ReadAllTextAsync(workspace.Combine("ops.json"))).RootElement.GetProperty("client_id").GetString()!;
        var last = await CliRunner.RunAsync(workspace.Path, "client", "revoke", "--url", url, "--credentials", workspace.Combine("ops.json"), ops);
        Assert.Equal(1, last.ExitCode);
        Assert.Contains("last active client with scope admin", last.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recovery_setting_issues_a_new_administrator_recorded_in_the_ledger_once()
    {
        using var workspace = new ServerWorkspace();
        var recovery = workspace.Combine("recovered-admin.json");
        await using (var server = await workspace.Start().WaitUntilListeningAsync())
        {
            Assert.False(File.Exists(recovery));
        }
        // The bootstrap administrator's secret is lost: the operator restarts with the recovery setting.
        File.Delete(Path.Combine(workspace.DataDirectory, "admin-credentials.json"));
        string recoveredId;
        await using (var server = await workspace.Start($"--Attest:Auth:RecoveryCredentialsFile={recovery}").WaitUntilListeningAsync())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(recovery));
            using var document = JsonDocument.Parse(await File.ReadAllTextAsync(recovery));
            recoveredId = document.RootElement.GetProperty("client_id").GetString()!;
            var admin = await server.TokenAsync(new ApiAccess.Credentials(recoveredId, document.RootElement.GetProperty("client_secret").GetString()!), "admin audit");
            using var entries = await server.SendAsync(HttpMethod.Get, $"v1/ledger/entries?kind=client.created&client={recoveredId}", admin);
            var body = JsonDocument.Parse(await entries.Content.ReadAsStringAsync()).RootElement;
            var entry = Assert.Single(body.GetProperty("entries").EnumerateArray());
            Assert.Equal("attest recovery (Attest:Auth:RecoveryCredentialsFile)", entry.GetProperty("details").GetProperty("by").GetString());
            Assert.Equal("recovery-admin", entry.GetProperty("details").GetProperty("name").GetString());
        }
        // Left set, the setting does nothing more: the file exists and its client too.
        await using (var server = await workspace.Start($"--Attest:Auth:RecoveryCredentialsFile={recovery}").WaitUntilListeningAsync())
        {
            var clients = await CliRunner.RunAsync(workspace.Path, "client", "list", "--url", server.BaseUri.ToString(), "--credentials", recovery);
            Assert.True(clients.ExitCode == 0, clients.StandardError);
            Assert.Single(clients.StandardOutput.Split('\n'), l => l.Contains("recovery-admin", StringComparison.Ordinal));
            Assert.Contains(recoveredId, clients.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Client_create_out_writes_an_owner_only_file_and_never_overwrites_one()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var credentials = Path.Combine(workspace.DataDirectory, "admin-credentials.json");
        string[] create = ["client", "create", "--url", server.BaseUri.ToString(), "--credentials", credentials, "--name", "ci", "--scope", "sign", "--out", "ci.json"];
        var created = await CliRunner.RunAsync(workspace.Path, create);
        Assert.True(created.ExitCode == 0, created.StandardError);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(workspace.Combine("ci.json")));
        var secret = JsonDocument.Parse(await File.ReadAllTextAsync(workspace.Combine("ci.json"))).RootElement.GetProperty("client_secret").GetString()!;
        Assert.DoesNotContain(secret, created.StandardOutput + created.StandardError, StringComparison.Ordinal);

        var again = await CliRunner.RunAsync(workspace.Path, create);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("cannot be created (it must not exist yet)", again.StandardError, StringComparison.Ordinal);
        Assert.Contains(secret, await File.ReadAllTextAsync(workspace.Combine("ci.json")), StringComparison.Ordinal);

        // Without --out, a secret sent into a pipe or file comes with a warning naming --out.
        var printed = await CliRunner.RunAsync(workspace.Path, ["client", "create", "--url", server.BaseUri.ToString(), "--credentials", credentials, "--name", "ci2", "--scope", "sign"]);
        Assert.True(printed.ExitCode == 0, printed.StandardError);
        Assert.Contains("use --out FILE for an owner-only file", printed.StandardError, StringComparison.Ordinal);
    }
}
