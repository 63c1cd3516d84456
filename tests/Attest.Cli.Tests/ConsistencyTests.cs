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
