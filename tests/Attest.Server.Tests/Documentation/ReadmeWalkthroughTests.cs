using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Attest.Testing;

namespace Attest.Server.Tests.Documentation;

/// <summary>
/// README's "first hour" as a new user follows it, in a copy of the repository as a fresh clone has it (tracked and
/// new files, a git history of its own, no build output): the install line (dotnet pack + dotnet tool install into
/// a HOME of the test's own), then the walkthrough block as written: start the server with dotnet run, create a CI
/// client, sign with the bare-bundle Accept header, fetch the trusted root and key, verify with attest verify-bundle
/// and with sigstore-js. The only change is the port: 5380 becomes a free one (the rig never uses fixed ports), given
/// to the server through ASPNETCORE_URLS. Builds the CLI and the server in Release from scratch, so it takes minutes.
/// </summary>
public sealed partial class ReadmeWalkthroughTests
{
    [Fact]
    public async Task Readme_first_hour_walkthrough_runs_as_written_on_a_copy_of_the_repository()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "README.md"));
        var install = InstallLine().Match(readme);
        Assert.True(install.Success, "README has no install line (dotnet pack src/Attest.Cli … && dotnet tool install --global …)");
        var walkthrough = Walkthrough().Match(readme);
        Assert.True(walkthrough.Success, "README has no <!-- walkthrough --> block");

        using var work = new TempDirectory("attest-walkthrough");
        var clone = work.Combine("attest");
        var home = work.Combine("home");
        Directory.CreateDirectory(home);
        await CopyRepositoryAsync(clone);

        var port = RigProcess.FreeLoopbackPort();
        var script = new StringBuilder()
            .AppendLine("set -e")
            .AppendLine(install.Value)
            .AppendLine(walkthrough.Groups[1].Value.Replace("127.0.0.1:5380", $"127.0.0.1:{port}", StringComparison.Ordinal))
            .AppendLine("echo \"version: $(attest --version)\"")
            .ToString();
        Assert.DoesNotContain("5380", script, StringComparison.Ordinal);
        await File.WriteAllTextAsync(work.Combine("walkthrough.sh"), script);

        var realHome = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = home,                       // dotnet tool install --global goes here, not into the machine's tools
            ["DOTNET_CLI_HOME"] = home,
            ["NUGET_PACKAGES"] = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(realHome, ".nuget", "packages"),
            ["npm_config_cache"] = Path.Combine(realHome, ".npm"),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        var clock = Stopwatch.StartNew();
        var (exitCode, output) = await RunAsync(clone, work.Combine("walkthrough.sh"), environment, TimeSpan.FromMinutes(20));
        var serverLog = File.Exists(Path.Combine(clone, "server.log")) ? await File.ReadAllTextAsync(Path.Combine(clone, "server.log")) : "(no server.log)";
        Assert.True(exitCode == 0, $"walkthrough failed ({exitCode}) after {clock.Elapsed}:\n{output}\nserver.log:\n{serverLog}");

        Assert.Contains("OK: bundle verified", output, StringComparison.Ordinal);           // attest verify-bundle
        Assert.Matches(@"(?m)^OK$", output);                                               // sigstore-js
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(clone, "ci-credentials.json")));
        var head = (await GitAsync(clone, "rev-parse", "HEAD")).Trim();
        Assert.Contains($"version: 0.1.0+{head}", output, StringComparison.Ordinal);     // --version names the build
    }

    /// <summary>The repository's tracked and new (not ignored) files, committed into a fresh git repository, as a clone.</summary>
    private static async Task CopyRepositoryAsync(string destination)
    {
        var files = (await GitAsync(RepositoryPaths.Root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in files)
        {
            var source = Path.Combine(RepositoryPaths.Root, file);
            if (!File.Exists(source)) continue; // deleted in the work tree
            var target = Path.Combine(destination, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, File.GetUnixFileMode(source));
        }
        await GitAsync(destination, "init", "-q");
        await GitAsync(destination, "add", "-A");
        await GitAsync(destination, "-c", "user.name=walkthrough", "-c", "user.email=walkthrough@attest.invalid", "commit", "-qm", "copy");
    }

    private static async Task<string> GitAsync(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {await error}");
        return await output;
    }

    /// <summary>Runs the script with bash in its own process group (setsid), so that the server it starts in the
    /// background is stopped with it whatever happens.</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(string directory, string script, Dictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("setsid", ["bash", script])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            // The process group: bash, dotnet run and the server it started.
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", "--", "-" + process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
                { UseShellExecute = false, RedirectStandardError = true });
            await kill!.WaitForExitAsync();
        }
        process.WaitForExit();
        lock (output) return (process.HasExited ? process.ExitCode : -1, output.ToString());
    }

    [GeneratedRegex(@"^dotnet pack src/Attest\.Cli [^\n]*&& dotnet tool install --global [^\n]*$", RegexOptions.Multiline)]
    private static partial Regex InstallLine();

    [GeneratedRegex(@"<!-- walkthrough -->\s*```bash\n(.*?)```\s*<!-- /walkthrough -->", RegexOptions.Singleline)]
    private static partial Regex Walkthrough();
}
