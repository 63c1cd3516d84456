using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Attest.Testing;

/// <summary>Child processes for the test rig. Every long-running server is started under a small shell watchdog that
/// stops it when the test host process disappears, so a crashed or killed test run leaves nothing behind.</summary>
public static class RigProcess
{
    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, release it). Callers
    /// retry on the rare race where another process takes it first.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Starts <paramref name="command"/> (a shell command line) in the background under a watchdog. The
    /// watchdog polls the test host's PID every second; when the host is gone (or the watchdog is terminated) it runs
    /// <paramref name="stopCommand"/> (default: SIGTERM, then SIGKILL after 5 s, to the command).
    /// <paramref name="hostProcessId"/> is the process whose death stops the server (default: this test host).</summary>
    public static Process StartWatched(
        string command, string logFile, string? stopCommand = null, string? workingDirectory = null, int? hostProcessId = null)
    {
        var stop = stopCommand ?? "kill -TERM $child 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 $child 2>/dev/null || break; sleep 0.5; done; kill -KILL $child 2>/dev/null";
        var script = new StringBuilder()
            .AppendLine("host=$1")
            .AppendLine($"( {command} ) >>'{logFile}' 2>&1 </dev/null &")
            .AppendLine("child=$!")
            .AppendLine($"cleanup() {{ {stop}; exit 0; }}")
            .AppendLine("trap cleanup TERM INT HUP")
            .AppendLine("while kill -0 \"$host\" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1 & wait $!; done")
            .AppendLine("cleanup")
            .ToString();
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", script, "attest-rig-watchdog", (hostProcessId ?? Environment.ProcessId).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            UseShellExecute = false,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start: {command}");
    }

    /// <summary>Asks a watchdog to stop its server and waits for it (up to 15 s, then kills the whole tree).</summary>
    public static async Task StopWatchedAsync(Process watchdog)
    {
        if (watchdog.HasExited) return;
        using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", watchdog.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            await term!.WaitForExitAsync().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await watchdog.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            watchdog.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Runs a command to completion and returns its exit code and combined output; throws with the output
    /// when it fails and <paramref name="check"/> is set.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName, IEnumerable<string> arguments, string? workingDirectory = null, bool check = true,
        TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish in time");
        }
        var output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"{fileName} {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}: {output}");
        return (process.ExitCode, output);
    }

    public static string ReadLogTail(string logFile, int maxChars = 4000)
    {
        if (!File.Exists(logFile)) return "(no log)";
        var text = File.ReadAllText(logFile);
        return text.Length <= maxChars ? text : "…" + text[^maxChars..];
    }
}
