using System.CommandLine;
using System.Text.Json;
using Attest.Cli;
using Attest.Testing;

namespace Attest.Sbom.Tests;

/// <summary><c>attest sbom check</c> through the real command tree: exit 0 pass, 1 findings, 2 unusable input.</summary>
public sealed class SbomCommandTests
{
    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = AttestCommand.Build().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static string Vector(params string[] parts) => RepositoryPaths.Vectors(["sbom", .. parts]);

    [Fact]
    public void Valid_sbom_without_rules_passes()
    {
        var (exit, output, _) = Run("sbom", "check", Vector("generated", "cdx-npm-1.6.json"));
        Assert.Equal(0, exit);
        Assert.Contains("passed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Denied_licence_exits_1_and_names_the_component()
    {
        var (exit, output, _) = Run("sbom", "check", Vector("generated", "cdx-npm-1.6.json"), "--deny-license", "WTFPL", "--deny-license", "GPL-3.0-only");
        Assert.Equal(1, exit);
        Assert.Contains("sbom.license.denied", output, StringComparison.Ordinal);
        Assert.Contains("left-pad@1.3.0", output, StringComparison.Ordinal);
        Assert.DoesNotContain("GPL-3.0-only", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Ntia_flag_reports_missing_elements_as_json()
    {
        var (exit, output, _) = Run("sbom", "check", Vector("ntia", "missing_timestamp.spdx.json"), "--ntia", "--json");
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("failed", doc.RootElement.GetProperty("verdict").GetString());
        var codes = doc.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("code").GetString()).ToList();
        Assert.Contains(SbomCodes.NtiaTimestamp, codes);
        Assert.Contains(SbomCodes.SchemaViolation, codes);
    }

    [Fact]
    public void Subject_mismatch_exits_1()
    {
        var (exit, output, _) = Run("sbom", "check", Vector("generated", "cdx-npm-1.6.json"), "--subject", "sha256:" + new string('a', 64));
        Assert.Equal(1, exit);
        Assert.Contains(SbomCodes.SubjectMismatch, output, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_invalid_vector_exits_1_with_its_path()
    {
        var (exit, output, _) = Run("sbom", "check", Vector("cdx", "1.6", "invalid-scope-1.6.json"));
        Assert.Equal(1, exit);
        Assert.Contains("$.components[0].scope", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Unusable_input_exits_2()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("dup.json");
        File.WriteAllText(path, """{"bomFormat":"CycloneDX","bomFormat":"CycloneDX"}""");
        var (exit, output, _) = Run("sbom", "check", path);
        Assert.Equal(2, exit);
        Assert.Contains(SbomCodes.InputDuplicateKey, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing file", new[] { "sbom", "check", "/nonexistent/sbom.json" })]
    [InlineData("malformed subject", new[] { "sbom", "check", "x.json", "--subject", "sha256:xyz" })]
    [InlineData("malformed component rule", new[] { "sbom", "check", "x.json", "--deny-component", "left-pad@1" })]
    public void Bad_arguments_exit_2(string description, string[] args)
    {
        var (exit, _, error) = Run(args);
        Assert.True(exit == 2, description);
        Assert.StartsWith("attest:", error, StringComparison.Ordinal);
    }
}
