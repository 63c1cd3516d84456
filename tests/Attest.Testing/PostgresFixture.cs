using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace Attest.Testing;

/// <summary>
/// A real, throwaway PostgreSQL server for the test run: <c>initdb</c> into a temporary directory, started with
/// <c>pg_ctl</c> on a free 127.0.0.1 port with a random password, database <c>attest</c> created. Stopped and
/// deleted on dispose, or by its watchdog when the test host dies. As root, the server runs as the
/// <c>postgres</c> user (PostgreSQL refuses to run as root).
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private string _directory = "";
    private string _bin = "";
    private Process? _watchdog;
    private bool _asPostgresUser;

    public int Port { get; private set; }

    public string Password { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Npgsql connection string for database <c>attest</c>.</summary>
    public string ConnectionString => ConnectionStringFor("attest");

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Password = Password,
        Database = database,
        Pooling = true,
        Timeout = 15,
    }.ToString();

    private string DataDirectory => Path.Combine(_directory, "data");

    private string LogFile => Path.Combine(_directory, "server.log");

    public async Task InitializeAsync()
    {
        _bin = Prerequisites.PostgresBinDirectory();
        _asPostgresUser = Environment.UserName == "root";
        if (_asPostgresUser) Prerequisites.Executable("runuser", "util-linux", "/usr/sbin", "/sbin");

        // The postgres user must be able to traverse every parent; Directory.CreateTempSubdirectory makes 0700.
        _directory = Directory.CreateTempSubdirectory("attest-pg-").FullName;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_directory, (UnixFileMode)Convert.ToInt32("755", 8));
        var passwordFile = Path.Combine(_directory, "pwfile");
        await File.WriteAllTextAsync(passwordFile, Password + "\n").ConfigureAwait(false);
        if (_asPostgresUser) await RigProcess.RunAsync("chown", ["-R", "postgres", _directory]).ConfigureAwait(false);

        await RunAsServerUserAsync(Path.Combine(_bin, "initdb"),
            ["-D", DataDirectory, "-U", "postgres", $"--pwfile={passwordFile}", "-A", "scram-sha-256",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]).ConfigureAwait(false);
        File.Delete(passwordFile);

        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            Port = RigProcess.FreeLoopbackPort();
            try
            {
                await StartServerAsync().ConfigureAwait(false);
                await using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
                await connection.OpenAsync().ConfigureAwait(false);
                await using var create = new NpgsqlCommand("CREATE DATABASE attest", connection);
                await create.ExecuteNonQueryAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or NpgsqlException)
            {
                last = e;
                await StopServerAsync().ConfigureAwait(false);
            }
        }
        throw new InvalidOperationException($"PostgreSQL did not start: {last?.Message}");
    }

    private async Task StartServerAsync()
    {
        // fsync off: test data need not survive a power cut, and the rig must be fast on shared machines.
        var options = $"-c listen_addresses=127.0.0.1 -p {Port} -k {_directory} -c fsync=off -c full_page_writes=off";
        await RunAsServerUserAsync(Path.Combine(_bin, "pg_ctl"),
            ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options, "start"], timeout: TimeSpan.FromSeconds(90))
            .ConfigureAwait(false);
        // pg_ctl daemonizes the server; the watchdog only waits for the test host to go away and then stops it.
        var stop = ServerUserCommandLine(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "stop"]);
        _watchdog = RigProcess.StartWatched("while :; do sleep 3600; done", Path.Combine(_directory, "watchdog.log"),
            stopCommand: $"kill $child 2>/dev/null; {stop} >/dev/null 2>&1; rm -rf '{_directory}'");
    }

    private async Task StopServerAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            await RunAsServerUserAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", "fast", "-w", "stop"], check: false)
                .ConfigureAwait(false);
        if (_watchdog is not null)
        {
            // The server is already down; stopping the watchdog now only removes the directory, so do it last.
            _watchdog.Kill(entireProcessTree: true);
            await _watchdog.WaitForExitAsync().ConfigureAwait(false);
            _watchdog.Dispose();
            _watchdog = null;
        }
    }

    /// <summary>Stops and starts the server again on the same port and data (for crash and restart tests).</summary>
    public async Task RestartAsync(bool immediate = false)
    {
        NpgsqlConnection.ClearAllPools();
        await RunAsServerUserAsync(Path.Combine(_bin, "pg_ctl"),
            ["-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "stop"]).ConfigureAwait(false);
        _watchdog?.Kill(entireProcessTree: true);
        _watchdog?.Dispose();
        _watchdog = null;
        await StartServerAsync().ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        await StopServerAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private Task<(int ExitCode, string Output)> RunAsServerUserAsync(
        string program, string[] arguments, bool check = true, TimeSpan? timeout = null) =>
        _asPostgresUser
            ? RigProcess.RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments], _directory, check, timeout)
            : RigProcess.RunAsync(program, arguments, _directory, check, timeout);

    private string ServerUserCommandLine(string program, string[] arguments)
    {
        var quoted = string.Join(' ', arguments.Select(a => $"'{a}'"));
        return _asPostgresUser ? $"runuser -u postgres -- '{program}' {quoted}" : $"'{program}' {quoted}";
    }
}
