using System.Net;
using System.Text;
using System.Text.Json;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Auth;

/// <summary>Secrets stay where they belong: never taken from a URL (nor logged from one), an administrator's credentials
/// file is adopted only when this server wrote it, and the files holding secret hashes and the ledger are owner-only in
/// an owner-only data directory.</summary>
public sealed class CredentialHygieneTests
{
    [Fact]
    public async Task Client_secret_in_the_query_string_is_refused_and_never_logged()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var admin = ApiAccess.BootstrapAdmin(workspace.DataDirectory);
        var marker = "attest_secret_" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseUri, $"oauth/token?client_secret={marker}"))
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", admin.ClientId), new("client_secret", admin.ClientSecret)]),
        };
        using var response = await server.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {body}");
        using (var error = JsonDocument.Parse(body)) Assert.Equal("invalid_request", error.RootElement.GetProperty("error").GetString());
        Assert.Contains("client_secret", body, StringComparison.Ordinal);
        Assert.DoesNotContain("access_token", body, StringComparison.Ordinal);

        // The same holds for any path: a secret in a URL is refused before anything reads it.
        using var elsewhere = await server.Client.GetAsync($"readyz?access_token={marker}");
        Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);

        await Task.Delay(500); // let the log lines of both requests be written
        Assert.DoesNotContain(marker, server.StandardOutput + server.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, "its mode is 644")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite, "its mode is 620")]
    public async Task Administrator_credentials_this_server_did_not_write_are_not_adopted(UnixFileMode mode, string reason)
    {
        using var workspace = new ServerWorkspace();
        Directory.CreateDirectory(workspace.DataDirectory);
        var planted = new { client_id = "attest-00000000cafebabe", client_secret = "attest_secret_" + Guid.NewGuid().ToString("N"), scope = "admin audit" };
        var path = Path.Combine(workspace.DataDirectory, "admin-credentials.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(planted));
        File.SetUnixFileMode(path, mode);

        await using var server = workspace.Start();
        var exit = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, exit);
        Assert.Contains("admin-credentials.json exists, but this server did not write it", server.StandardError, StringComparison.Ordinal);
        Assert.Contains(reason, server.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(planted.client_secret, server.StandardOutput + server.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_directory_and_its_databases_are_owner_only()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        // Write through both stores so their -wal and -shm files exist.
        await server.CreateClientAsync(workspace.DataDirectory, "ci", "sign");
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(ownerOnly | UnixFileMode.UserExecute, File.GetUnixFileMode(workspace.DataDirectory));
        var checkedFiles = 0;
        foreach (var database in new[] { "ledger.db", "clients.db" })
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                var file = Path.Combine(workspace.DataDirectory, database + suffix);
                if (!File.Exists(file)) continue;
                checkedFiles++;
                Assert.True(File.GetUnixFileMode(file) == ownerOnly, $"{database}{suffix} is {Convert.ToString((int)File.GetUnixFileMode(file), 8)}");
            }
        Assert.True(checkedFiles >= 4, $"only {checkedFiles} database files exist");
    }

    [Fact]
    public async Task Data_directory_left_open_by_an_earlier_version_is_narrowed()
    {
        using var workspace = new ServerWorkspace();
        Directory.CreateDirectory(workspace.DataDirectory);
        File.SetUnixFileMode(workspace.DataDirectory, (UnixFileMode)Convert.ToInt32("755", 8));
        var ledger = Path.Combine(workspace.DataDirectory, "ledger.db");
        await using (var server = await workspace.Start().WaitUntilListeningAsync()) { }
        File.SetUnixFileMode(ledger, (UnixFileMode)Convert.ToInt32("644", 8));
        File.SetUnixFileMode(workspace.DataDirectory, (UnixFileMode)Convert.ToInt32("755", 8));

        await using var restarted = await workspace.Start().WaitUntilListeningAsync();
        Assert.Equal((UnixFileMode)Convert.ToInt32("700", 8), File.GetUnixFileMode(workspace.DataDirectory));
        Assert.Equal((UnixFileMode)Convert.ToInt32("600", 8), File.GetUnixFileMode(ledger));
        Assert.Contains("narrowed to 700", restarted.StandardOutput, StringComparison.Ordinal);
    }
}
