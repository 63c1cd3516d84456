using System.Diagnostics;
using Attest.Testing;

namespace Attest.Ledger.Tests;

/// <summary>Runs the real <c>attest</c> CLI built beside this test project.</summary>
internal static class AttestCli
{
    /// <summary>bin/&lt;Configuration&gt;/net10.0/attest.dll of Attest.Cli. (RepositoryPaths.ProjectOutput misreads the
    /// configuration when the base directory ends in a separator, so it is resolved here.)</summary>
    public static string DllPath
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
            var path = System.IO.Path.Combine(RepositoryPaths.Root, "src", "Attest.Cli", "bin", output.Parent!.Name, output.Name, "attest.dll");
            Assert.True(File.Exists(path), $"{path} is missing");
            return path;
        }
    }

    public static ProcessStartInfo StartInfo(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        return info;
    }

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] arguments)
    {
        using var process = Process.Start(StartInfo(arguments))!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
