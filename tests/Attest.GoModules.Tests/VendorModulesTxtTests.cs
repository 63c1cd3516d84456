namespace Attest.GoModules.Tests;

public class VendorModulesTxtTests
{
    [Fact]
    public void Parse_reads_modules_annotations_packages_and_replacements()
    {
        var txt = VendorModulesTxt.Parse("""
            ## workspace
            # example.com/attest/a v1.0.0
            ## explicit; go 1.17
            example.com/attest/a
            example.com/attest/a/sub
            # example.com/attest/b/v2 v2.1.0 => example.com/fork/b/v2 v2.1.1
            ## explicit
            example.com/attest/b/v2
            # example.com/local v1.0.0 => ../local
            example.com/local
            # example.com/unused => example.com/other v1.0.0

            """);
        Assert.Empty(txt.Findings);
        Assert.True(txt.IsWorkspace);
        Assert.Equal(3, txt.Modules.Count);
        var a = txt.Module("example.com/attest/a")!;
        Assert.True(a.Explicit);
        Assert.Equal("1.17", a.GoVersion);
        Assert.Equal(["example.com/attest/a", "example.com/attest/a/sub"], a.Packages);
        var b = txt.Module("example.com/attest/b/v2")!;
        Assert.Equal(new ModuleVersion("example.com/fork/b/v2", "v2.1.1"), b.Source);
        Assert.False(txt.Module("example.com/local")!.Explicit);
        Assert.Equal("../local", txt.Module("example.com/local")!.ReplacementPath);
        Assert.Equal("example.com/unused", Assert.Single(txt.ReplacementsOnly).Path);
    }

    [Theory]
    [InlineData("example.com/a\n", 1, "before any module")]
    [InlineData("## explicit\n", 1, "before any module line")]
    [InlineData("# example.com/a v1.0.0\n## explicit; frob\n", 2, "unknown annotation")]
    [InlineData("# example.com/a v1.0.0\nexample.com/b\n", 2, "not in module")]
    [InlineData("# example.com/a\n", 1, "malformed module line")]
    [InlineData("# example.com/a notaversion\n", 1, "invalid version")]
    [InlineData("# example.com/a v1.0.0\n## workspace\n", 2, "first line")]
    [InlineData("#example.com/a v1.0.0\n", 1, "unrecognized")]
    public void Parse_reports_malformed_lines(string text, int line, string message)
    {
        var txt = VendorModulesTxt.Parse(text);
        var finding = Assert.Single(txt.Findings);
        Assert.Equal(GoSumCodes.VendorSyntax, finding.Code);
        Assert.Contains(message, finding.Message, StringComparison.Ordinal);
        Assert.Equal(line.ToString(System.Globalization.CultureInfo.InvariantCulture), finding.Evidence!["line"]);
    }
}
