namespace Attest.Testing;

/// <summary>Runs the built <c>attest</c> command as a real process.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    public static Task<Result> RunAsync(string workingDirectory, params string[] arguments) => RunAsync(workingDirectory, arguments, null);

    /// <summary>Runs with extra environment variables (secrets such as a connection string go there, not in arguments).</summary>
    public static async Task<Result> RunAsync(string workingDirectory, IReadOnlyList<string> arguments, IDictionary<string, string>? environment)
    {
        var dll = RepositoryPaths.ProjectOutput("Attest.Cli", "attest.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        return new Result(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
