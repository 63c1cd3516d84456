using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Attest.Testing;

/// <summary>
/// The real Attest server as a child process (<c>dotnet Attest.Server.dll</c>) in a working directory of the test's
/// choosing, on a port the OS picks (<c>--urls http://127.0.0.1:0</c>); the address is read from Kestrel's
/// "Now listening on" log line. Stopped (SIGTERM, then killed) on dispose.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process)
    {
        _process = process;
    }

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The server's operating-system process id (for tests that look at it under /proc).</summary>
    public int ProcessId => _process.Id;

    /// <summary>The server's working directory (its default data directory is <c>data</c> under it).</summary>
    public string WorkingDirectory { get; private set; } = "";

    /// <summary>A client for the server; for HTTPS it trusts exactly the certificate the test gave the server.</summary>
    public HttpClient Client { get; private set; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Trust this certificate (by thumbprint) for HTTPS calls to the server.</summary>
    public ServerProcess TrustCertificate(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var thumbprint = certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
        Client.Dispose();
        Client = new HttpClient(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256) == thumbprint,
        }) { Timeout = TimeSpan.FromSeconds(30), BaseAddress = BaseUri };
        return this;
    }

    public string StandardOutput { get { lock (_stdout) return _stdout.ToString(); } }

    public string StandardError { get { lock (_stderr) return _stderr.ToString(); } }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the server; <paramref name="arguments"/> come after the DLL path. Unless arguments name
    /// <c>--urls</c>, the server binds 127.0.0.1 on a free port.</summary>
    public static ServerProcess Start(string workingDirectory, IEnumerable<string>? arguments = null, IDictionary<string, string>? environment = null)
    {
        var dll = RepositoryPaths.ProjectOutput("Attest.Server", "Attest.Server.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(dll);
        var args = arguments?.ToList() ?? [];
        if (!args.Any(a => a.StartsWith("--urls", StringComparison.Ordinal))) args.AddRange(["--urls", "http://127.0.0.1:0"]);
        foreach (var argument in args) start.ArgumentList.Add(argument);
        // A clean environment for configuration: nothing from the developer's shell leaks in.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ATTEST_", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ServerProcess(process) { WorkingDirectory = workingDirectory };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (server._stdout) server._stdout.AppendLine(e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } match) server._listening.TrySetResult(new Uri(match.Groups[1].Value + "/"));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (server._stderr) server._stderr.AppendLine(e.Data);
        };
        process.Exited += (_, _) => server._listening.TrySetException(new InvalidOperationException("server exited before listening"));
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>
    /// How long a start may take before the test fails. A quiet machine starts the server in about a second; a
    /// shared one under heavy load (several builds and test runs at once) has been seen to need more than 30 s, and a
    /// start-up that is merely slow is not what these tests are about.
    /// </summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Waits for the "Now listening on" line; fails with the server's output if it exits or takes too long.</summary>
    public async Task<ServerProcess> WaitUntilListeningAsync(TimeSpan? timeout = null)
    {
        try
        {
            BaseUri = await _listening.Task.WaitAsync(timeout ?? StartTimeout).ConfigureAwait(false);
            Client.BaseAddress = BaseUri;
            return this;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"server did not start listening ({e.Message}).\nstderr: {StandardError}\nstdout: {StandardOutput}", e);
        }
    }

    /// <summary>Waits for the process to end (for start-up failures) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? StartTimeout);
        await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
                await term!.WaitForExitAsync().ConfigureAwait(false);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (https?://[^\s""]+)")]
    private static partial Regex ListeningLine();
}
