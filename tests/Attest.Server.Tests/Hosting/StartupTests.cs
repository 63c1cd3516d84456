using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace Attest.Server.Tests.Hosting;

public sealed class StartupTests
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task Fresh_start_creates_ledger_and_owner_only_key_and_reports_live_and_ready()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();

        using var live = await server.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        using var ready = await server.Client.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var readiness = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("ok", readiness.RootElement.GetProperty("status").GetString());
        Assert.Equal("ok", readiness.RootElement.GetProperty("checks").GetProperty("ledger").GetProperty("status").GetString());
        Assert.Equal("ok", readiness.RootElement.GetProperty("checks").GetProperty("policies").GetProperty("status").GetString());

        Assert.True(File.Exists(Path.Combine(workspace.DataDirectory, "ledger.db")));
        var keyFile = Path.Combine(workspace.DataDirectory, "keys", "signing-key.pem");
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.GetDirectoryName(keyFile)!));
        using var key = ECDsa.Create();
        key.ImportFromPem(await File.ReadAllTextAsync(keyFile));
        Assert.Equal(256, key.KeySize);
    }

    [Fact]
    public async Task Only_the_policy_directory_is_watched_not_the_data_directory()
    {
        // Configuration is read once; a watcher on the content root would also cover data/ and wake on every ledger write.
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var watched = WatchedInodes(server.ProcessId);
        Assert.Contains(Inode(workspace.PolicyDirectory), watched);
        Assert.DoesNotContain(Inode(workspace.DataDirectory), watched);
        Assert.DoesNotContain(Inode(workspace.Path), watched);
    }

    /// <summary>The inode of every directory the process watches with inotify (from <c>/proc/PID/fdinfo</c>, in hex).</summary>
    private static HashSet<string> WatchedInodes(int processId)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var descriptor in Directory.GetFiles($"/proc/{processId}/fd"))
        {
            if (new FileInfo(descriptor).LinkTarget != "anon_inode:inotify") continue;
            foreach (var line in File.ReadLines($"/proc/{processId}/fdinfo/{Path.GetFileName(descriptor)}"))
            {
                if (!line.StartsWith("inotify ", StringComparison.Ordinal)) continue;
                var field = line.Split(' ').First(f => f.StartsWith("ino:", StringComparison.Ordinal));
                inodes.Add(field["ino:".Length..]);
            }
        }
        return inodes;
    }

    private static string Inode(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var decimalInode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return ulong.Parse(decimalInode, System.Globalization.CultureInfo.InvariantCulture).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Restart_reuses_the_signing_key_it_generated()
    {
        using var workspace = new ServerWorkspace();
        var keyFile = Path.Combine(workspace.DataDirectory, "keys", "signing-key.pem");
        await using (var first = await workspace.Start().WaitUntilListeningAsync())
            Assert.Contains("Generated a development signing key", first.StandardOutput, StringComparison.Ordinal);
        var pem = await File.ReadAllTextAsync(keyFile);

        await using var second = await workspace.Start().WaitUntilListeningAsync();
        Assert.Contains("Loaded signing key", second.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(pem, await File.ReadAllTextAsync(keyFile));
    }

    [Fact]
    public async Task Logs_are_structured_json_and_never_contain_the_private_key()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        using (await server.Client.GetAsync("readyz")) { }
        var lines = server.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line);
            Assert.True(entry.RootElement.TryGetProperty("LogLevel", out _), line);
            Assert.True(entry.RootElement.TryGetProperty("Category", out _), line);
        }
        var key = await File.ReadAllTextAsync(Path.Combine(workspace.DataDirectory, "keys", "signing-key.pem"));
        var keyBody = key.Split('\n')[1];
        Assert.DoesNotContain(keyBody, server.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", server.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configuration_from_environment_and_command_line_is_applied()
    {
        using var workspace = new ServerWorkspace();
        var fromEnvironment = workspace.Combine("env-data");
        var fromCommandLine = workspace.Combine("cli-policies");
        Directory.Move(workspace.PolicyDirectory, fromCommandLine);
        await using var server = await Attest.Testing.ServerProcess.Start(
                workspace.Path,
                [$"--Attest:PolicyDirectory={fromCommandLine}"],
                new Dictionary<string, string> { ["ATTEST_Attest__DataDirectory"] = fromEnvironment })
            .WaitUntilListeningAsync();
        using var ready = await server.Client.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.True(File.Exists(Path.Combine(fromEnvironment, "ledger.db")));
        Assert.False(Directory.Exists(workspace.DataDirectory));
    }

    [Fact]
    public async Task Missing_policy_directory_stops_startup_with_one_line_naming_it()
    {
        using var workspace = new ServerWorkspace(withPolicies: false);
        var error = await StartupErrorAsync(workspace.Start());
        Assert.Contains("policy directory", error, StringComparison.Ordinal);
        Assert.Contains(workspace.PolicyDirectory, error, StringComparison.Ordinal);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policies_naming_the_servers_own_trusted_root_load_at_startup()
    {
        using var workspace = new ServerWorkspace(withPolicies: false);
        Directory.CreateDirectory(workspace.PolicyDirectory);
        // Before the server's root exists, the early read must still see the authority declared (not only skip the
        // trustedRoot error), or the reference to it fails start-up.
        await File.WriteAllTextAsync(Path.Combine(workspace.PolicyDirectory, "own-root.yaml"), """
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: own-root}
            spec:
              match: {images: ["registry.attest.test/**"]}
              authorities:
                - name: ci
                  trustedRoot: attest
                  keyless: {identities: [{issuer: "https://ci.attest.test", subject: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"}]}
              signatures: {authorities: [ci]}
            """);
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        using var ready = await server.Client.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Policy_directory_that_is_a_file_stops_startup()
    {
        using var workspace = new ServerWorkspace(withPolicies: false);
        await File.WriteAllTextAsync(workspace.PolicyDirectory, "not a directory");
        var error = await StartupErrorAsync(workspace.Start());
        Assert.Contains("is a file, not a directory", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_policy_file_stops_startup_naming_file_and_line()
    {
        using var workspace = new ServerWorkspace();
        await File.WriteAllTextAsync(Path.Combine(workspace.PolicyDirectory, "broken.yaml"),
            "apiVersion: attest.dev/v1\nkind: ImagePolicy\nmetadata: {name: x}\nspec: {}\nspce: {}\n");
        var error = await StartupErrorAsync(workspace.Start());
        Assert.Contains("broken.yaml:5:1", error, StringComparison.Ordinal);
        Assert.Contains("unknown field 'spce'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Port_in_use_stops_startup_with_one_line()
    {
        using var workspace = new ServerWorkspace();
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var error = await StartupErrorAsync(workspace.Start("--urls", $"http://127.0.0.1:{port}"));
        Assert.Contains("address already in use", error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_appsettings_stops_startup_naming_the_file()
    {
        using var workspace = new ServerWorkspace();
        await File.WriteAllTextAsync(workspace.Combine("appsettings.json"), "{ \"Attest\": { \"DataDirectory\": \"x\", } ");
        var error = await StartupErrorAsync(workspace.Start());
        Assert.Contains("appsettings.json", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsupported_ledger_provider_stops_startup_naming_the_setting()
    {
        using var workspace = new ServerWorkspace();
        var error = await StartupErrorAsync(workspace.Start("--Attest:Ledger:Provider=oracle"));
        Assert.Contains("Attest:Ledger:Provider 'oracle' is not supported", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_key_readable_by_others_is_refused()
    {
        using var workspace = new ServerWorkspace();
        await using (await workspace.Start().WaitUntilListeningAsync()) { }
        var keyFile = Path.Combine(workspace.DataDirectory, "keys", "signing-key.pem");
        File.SetUnixFileMode(keyFile, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var error = await StartupErrorAsync(workspace.Start());
        Assert.Contains("accessible by group or others", error, StringComparison.Ordinal);
        Assert.Contains("chmod 600", error, StringComparison.Ordinal);
    }

    /// <summary>The server must exit non-zero and print exactly one line on stderr; returns that line.</summary>
    internal static async Task<string> StartupErrorAsync(Attest.Testing.ServerProcess server)
    {
        await using (server)
        {
            var exitCode = await server.WaitForExitAsync();
            Assert.NotEqual(0, exitCode);
            var lines = server.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.True(lines.Length == 1, $"expected one error line, got: {server.StandardError}");
            Assert.StartsWith("attest-server: error: ", lines[0], StringComparison.Ordinal);
            return lines[0];
        }
    }
}
