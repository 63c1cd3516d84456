using System.Diagnostics;
using Attest.Testing;

namespace Attest.Integration.Tests.Rig;

public sealed class RigProcessTests
{
    [Fact]
    public async Task Watched_server_is_stopped_when_its_host_process_is_killed()
    {
        using var directory = new TempDirectory();
        var pidFile = directory.Combine("server.pid");
        using var host = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        using var watchdog = RigProcess.StartWatched(
            $"echo $$ > '{pidFile}'; exec sleep 300", directory.Combine("log"), hostProcessId: host.Id);

        var serverPid = await ReadPidAsync(pidFile);
        Assert.True(IsAlive(serverPid), "the watched server should be running while its host lives");

        host.Kill(); // SIGKILL: the host gets no chance to clean up, as when a test run crashes.
        await host.WaitForExitAsync();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (IsAlive(serverPid) && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.False(IsAlive(serverPid), "the watchdog did not stop the server after its host died");
        await watchdog.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
    }

    private static async Task<int> ReadPidAsync(string pidFile)
    {
        for (var i = 0; i < 100; i++)
        {
            if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out var pid)) return pid;
            await Task.Delay(50);
        }
        throw new TimeoutException("the watched command never wrote its PID");
    }

    // /proc/<pid> disappears once the process is reaped; a zombie (state Z) counts as stopped.
    private static bool IsAlive(int pid)
    {
        var status = $"/proc/{pid}/stat";
        if (!File.Exists(status)) return false;
        try
        {
            var fields = File.ReadAllText(status).Split(')').Last().Trim();
            return !fields.StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
