namespace Attest.GoModules.Tests;

public class GoModFileTests
{
    [Fact]
    public void Parse_reads_every_directive_in_line_and_block_form()
    {
        var mod = GoModFile.Parse("""
            // a comment
            module "example.com/main" // deprecated comment ignored

            go 1.21.0
            toolchain go1.21.3
            godebug panicnil=1

            require example.com/a v1.0.0
            require (
                example.com/b/v2 v2.1.0 // indirect
                `example.com/raw` v0.0.0-20240102030405-abcdefabcdef
                example.com/old v3.0.0+incompatible // indirect; comment
            )
            exclude example.com/a v0.9.0
            replace (
                example.com/a v1.0.0 => example.com/fork v1.0.1
                example.com/local => ../local
                example.com/abs => /srv/abs
            )
            retract v0.1.0 // broken build
            retract [v0.2.0, v0.3.0]
            """);
        Assert.Empty(mod.Findings);
        Assert.Equal("example.com/main", mod.ModulePath);
        Assert.Equal("1.21.0", mod.GoVersion);
        Assert.Equal("go1.21.3", mod.Toolchain);
        Assert.Equal(["example.com/a", "example.com/b/v2", "example.com/raw", "example.com/old"], mod.Requires.Select(r => r.Path));
        Assert.Equal([false, true, false, true], mod.Requires.Select(r => r.Indirect));
        Assert.Equal("v0.9.0", Assert.Single(mod.Excludes).Version);
        Assert.Equal(3, mod.Replaces.Count);
        Assert.False(mod.Replaces[0].IsLocal);
        Assert.True(mod.Replaces[1].IsLocal);
        Assert.True(mod.Replaces[2].IsLocal);
        Assert.Equal("example.com/fork", mod.ReplacementFor("example.com/a", "v1.0.0")!.NewPath);
        Assert.Null(mod.ReplacementFor("example.com/a", "v1.0.1"));
        Assert.Equal("../local", mod.ReplacementFor("example.com/local", "v1.2.3")!.NewPath);
        Assert.Equal(2, mod.Retracts.Count);
        Assert.Equal("broken build", mod.Retracts[0].Rationale);
        Assert.Equal(("v0.2.0", "v0.3.0"), (mod.Retracts[1].Low, mod.Retracts[1].High));
        Assert.Equal(8, mod.Requires[0].Line);
    }

    [Theory]
    [InlineData("module example.com/m\nmodule example.com/n\n", 2, 1, "repeated module")]
    [InlineData("module example.com/m\ngo 1.x\n", 2, 4, "invalid go version")]
    [InlineData("module example.com/m\nrequire example.com/a 1.0.0\n", 2, 23, "invalid version")]
    [InlineData("module example.com/m\nrequire example.com/a\n", 2, 9, "usage: require")]
    [InlineData("module example.com/m\nreplace example.com/a => example.com/b\n", 2, 26, "must be directory path")]
    [InlineData("module example.com/m\nreplace example.com/a => ./dir v1.0.0\n", 2, 32, "must not have version")]
    [InlineData("module example.com/m\nrequire (\nexample.com/a v1.0.0\n", 2, 9, "unterminated require block")]
    [InlineData("module example.com/m\nfrobnicate x\n", 2, 1, "unknown directive")]
    [InlineData("module example.com/m\nretract [v1.0.0 v2.0.0]\n", 2, 9, "usage: retract")]
    [InlineData("module example.com/m\nretract [v2.0.0, v1.0.0]\n", 2, 9, "interval")]
    [InlineData("module example.com/m\nrequire \"example.com/a v1.0.0\n", 2, 9, "quoted string")]
    [InlineData("go 1.19\n", 1, 1, "no module directive")]
    public void Parse_reports_errors_with_line_and_column(string text, int line, int column, string message)
    {
        var mod = GoModFile.Parse(text);
        var finding = Assert.Single(mod.Findings);
        Assert.Contains(message, finding.Message, StringComparison.Ordinal);
        Assert.Equal(line.ToString(System.Globalization.CultureInfo.InvariantCulture), finding.Evidence!["line"]);
        Assert.Equal(column.ToString(System.Globalization.CultureInfo.InvariantCulture), finding.Evidence["column"]);
    }

    [Fact]
    public void Parse_continues_after_errors_and_reports_them_all()
    {
        var mod = GoModFile.Parse("module example.com/m\nrequire example.com/a bad\nrequire example.com/b v1.0.0\nbogus\n");
        Assert.Equal(2, mod.Findings.Count);
        Assert.Equal("example.com/b", Assert.Single(mod.Requires).Path);
    }

    [Theory]
    [InlineData("example.com/m", "example.com/m")]
    [InlineData("example.com/m v2", "\"example.com/m v2\"")]
    [InlineData("a(b)", "\"a(b)\"")]
    [InlineData("", "\"\"")]
    public void AutoQuote_quotes_only_when_needed(string input, string expected) =>
        Assert.Equal(expected, GoModFile.AutoQuote(input));
}
