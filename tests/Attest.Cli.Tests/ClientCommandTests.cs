using System.Text.Json;
using Attest.Testing;

namespace Attest.Cli.Tests;

/// <summary><c>attest client</c> and <c>attest token</c> against a real server process.</summary>
public sealed class ClientCommandTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("attest-cli-client");
    private ServerProcess _server = null!;

    private string Url => _server.BaseUri.ToString();

    private string AdminCredentials => _directory.Combine("data", "admin-credentials.json");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory.Combine("policies"));
        foreach (var file in Directory.GetFiles(RepositoryPaths.Policies, "*.yaml"))
            File.Copy(file, _directory.Combine("policies", Path.GetFileName(file)));
        _server = await ServerProcess.Start(_directory.Path).WaitUntilListeningAsync();
    }

    [Fact]
    public async Task Create_list_and_revoke_a_client_and_the_revoked_client_gets_no_token()
    {
        var created = await CliRunner.RunAsync(_directory.Path, "client", "create", "--url", Url, "--credentials", AdminCredentials, "--name", "pipeline", "--scope", "sign", "--scope", "verify");
        Assert.True(created.ExitCode == 0, created.StandardError);
        var credentials = _directory.Combine("pipeline.json");
        await File.WriteAllTextAsync(credentials, created.StandardOutput);
        using var parsed = JsonDocument.Parse(created.StandardOutput);
        var clientId = parsed.RootElement.GetProperty("client_id").GetString()!;
        Assert.Equal("sign verify", parsed.RootElement.GetProperty("scope").GetString());

        var token = await CliRunner.RunAsync(_directory.Path, "token", "--url", Url, "--credentials", credentials, "--scope", "verify");
        Assert.True(token.ExitCode == 0, token.StandardError);
        using (var keys = await _server.SendAsync(HttpMethod.Get, "v1/keys", token.StandardOutput.Trim()))
            Assert.True(keys.IsSuccessStatusCode);

        var list = await CliRunner.RunAsync(_directory.Path, "client", "list", "--url", Url, "--credentials", AdminCredentials);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains($"{clientId}\tpipeline\tsign,verify\t", list.StandardOutput, StringComparison.Ordinal);

        var revoked = await CliRunner.RunAsync(_directory.Path, "client", "revoke", "--url", Url, "--credentials", AdminCredentials, clientId);
        Assert.True(revoked.ExitCode == 0, revoked.StandardError);
        var refused = await CliRunner.RunAsync(_directory.Path, "token", "--url", Url, "--credentials", credentials);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("invalid_client", refused.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_without_admin_cannot_manage_clients()
    {
        var created = await CliRunner.RunAsync(_directory.Path, "client", "create", "--url", Url, "--credentials", AdminCredentials, "--name", "ci", "--scope", "sign");
        var credentials = _directory.Combine("ci.json");
        await File.WriteAllTextAsync(credentials, created.StandardOutput);
        var denied = await CliRunner.RunAsync(_directory.Path, "client", "create", "--url", Url, "--credentials", credentials, "--name", "x", "--scope", "admin");
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("invalid_scope", denied.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_credentials_and_an_unreachable_server_are_one_line_errors()
    {
        var missing = await CliRunner.RunAsync(_directory.Path, "client", "list", "--url", Url);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("ATTEST_CLIENT_ID", missing.StandardError, StringComparison.Ordinal);

        var plain = await CliRunner.RunAsync(_directory.Path, "client", "list", "--url", "http://attest.example.com", "--credentials", AdminCredentials);
        Assert.Equal(2, plain.ExitCode);
        Assert.Contains("only over HTTPS", plain.StandardError, StringComparison.Ordinal);

        var unreachable = await CliRunner.RunAsync(_directory.Path, "client", "list", "--url", $"http://127.0.0.1:{RigProcess.FreeLoopbackPort()}", "--credentials", AdminCredentials);
        Assert.Equal(2, unreachable.ExitCode);
        Assert.Single(unreachable.StandardError.Trim().Split('\n'));
        Assert.Contains("cannot reach", unreachable.StandardError, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }
}
