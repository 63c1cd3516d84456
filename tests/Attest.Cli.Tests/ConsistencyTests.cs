using Attest.Testing;

namespace Attest.Cli.Tests;

/// <summary>The CLI speaks as the policy files do and never calls nothing "verified": durations as <c>720h</c>, and a
/// go.sum check that hashed nothing is the finding gosum.cache.missing with exit 1. The real <c>attest</c> process.</summary>
public sealed class ConsistencyTests
{
    private static string Sbom => Directory.GetFiles(RepositoryPaths.Vectors("sbom", "cdx"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();

    [Theory]
    [InlineData("720h")]
    [InlineData("30d")]
    [InlineData("90m")]
    public async Task Max_age_takes_durations_as_policy_files_write_them(string duration)
    {
        using var directory = new TempDirectory();
        var result = await CliRunner.RunAsync(directory.Path, "sbom", "check", Sbom, "--max-age", duration);
        Assert.DoesNotContain("--max-age", result.StandardError, StringComparison.Ordinal);
        Assert.NotEqual(2, result.ExitCode);
    }

    [Theory]
    [InlineData("30.00:00:00")]
    [InlineData("720")]
    [InlineData("1000000d")]
    public async Task Max_age_refuses_other_spellings_naming_the_form(string duration)
    {
        using var directory = new TempDirectory();
        var result = await CliRunner.RunAsync(directory.Path, "sbom", "check", Sbom, "--max-age", duration);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--max-age must be", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ledger_verify_shows_progress_on_a_terminal_and_nothing_when_redirected()
    {
        using var directory = new TempDirectory();
        var keygen = await CliRunner.RunAsync(directory.Path, "ledger", "keygen", "--name", "attest.test/progress", "--out", "key");
        Assert.True(keygen.ExitCode == 0, keygen.StandardError);
        var vkey = keygen.StandardOutput.Trim();
        await File.WriteAllLinesAsync(directory.Combine("entries.jsonl"), Enumerable.Range(0, 3000).Select(i => $$"""{"n":{{i}}}"""));
        var append = await CliRunner.RunAsync(directory.Path, "ledger", "append", "--db", "ledger.db", "--key", "key", "--jsonl", "entries.jsonl");
        Assert.True(append.ExitCode == 0, append.StandardError);

        // Redirected (a pipe, as in CI logs): the summary only, no progress and no terminal control sequences.
        var redirected = await CliRunner.RunAsync(directory.Path, "ledger", "verify", "--db", "ledger.db", "--vkey", vkey);
        Assert.True(redirected.ExitCode == 0, redirected.StandardError);
        Assert.Equal("", redirected.StandardError);
        Assert.DoesNotContain('\u001b', redirected.StandardOutput);
        Assert.Matches(@"^3000 entries, \d+ checkpoints?, verified through size 3000$", redirected.StandardOutput.Trim());

        // On a terminal (util-linux script gives the command a pseudo-terminal): Spectre.Console's progress bar.
        var dll = RepositoryPaths.ProjectOutput("Attest.Cli", "attest.dll");
        var start = new System.Diagnostics.ProcessStartInfo("script", ["-qec", $"dotnet '{dll}' ledger verify --db ledger.db --vkey '{vkey}'", "/dev/null"])
        {
            WorkingDirectory = directory.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["COLUMNS"] = "120";
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var terminal = await output;
        Assert.True(process.ExitCode == 0, terminal);
        Assert.Contains("replaying 3000 entries", terminal, StringComparison.Ordinal);
        Assert.Contains('\u001b', terminal);
        Assert.Matches(@"3000 entries, \d+ checkpoints?, verified through size 3000", terminal);
    }

    [Fact]
    public async Task Gosum_verify_that_hashed_nothing_is_a_finding_not_verified()
    {
        using var module = new TempDirectory();
        using var emptyCache = new TempDirectory();
        await File.WriteAllTextAsync(module.Combine("go.mod"), "module example.com/m\n\ngo 1.19\n\nrequire golang.org/x/text v0.3.7\n");
        await File.WriteAllTextAsync(module.Combine("go.sum"),
            "golang.org/x/text v0.3.7 h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n" +
            "golang.org/x/text v0.3.7/go.mod h1:u+2+/6zg+i71rQMx5EYifcz6MCKuco9NR6JIITiCfzQ=\n");
        var result = await CliRunner.RunAsync(module.Path, "gosum", "verify", module.Path, "--modcache", emptyCache.Path);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("gosum.cache.missing: 1 module to check and not one file of them in the module cache", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("1 module, 0 files hashed: nothing verified", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(": verified", result.StandardOutput, StringComparison.Ordinal);

        var json = await CliRunner.RunAsync(module.Path, "gosum", "verify", module.Path, "--modcache", emptyCache.Path, "--json");
        Assert.Equal(1, json.ExitCode);
        using var report = System.Text.Json.JsonDocument.Parse(json.StandardOutput);
        Assert.Equal("failed", report.RootElement.GetProperty("verdict").GetString());
        Assert.Contains(report.RootElement.GetProperty("findings").EnumerateArray(),
            f => f.GetProperty("code").GetString() == "gosum.cache.missing" && f.GetProperty("severity").GetString() == "error");
    }
}
