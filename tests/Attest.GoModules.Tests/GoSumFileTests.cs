namespace Attest.GoModules.Tests;

public class GoSumFileTests
{
    private const string A = "h1:HiFxS+GFywUZHXvj8yLhL2aKylCo1gzHLsPm4hjfrNs=";
    private const string AMod = "h1:m92VAX1UshsxOTYLb3oRNVPBa0HHvPInDREtJ0troNM=";

    [Fact]
    public void Parse_reads_zip_and_gomod_lines()
    {
        var sum = GoSumFile.Parse($"example.com/attest/a v1.0.0 {A}\nexample.com/attest/a v1.0.0/go.mod {AMod}\n");
        Assert.Empty(sum.Findings);
        Assert.Equal(2, sum.Entries.Count);
        Assert.Equal(A, sum.H1("example.com/attest/a", "v1.0.0", goMod: false));
        Assert.Equal(AMod, sum.H1("example.com/attest/a", "v1.0.0", goMod: true));
        Assert.True(sum.Entries[1].IsGoMod);
    }

    [Fact]
    public void Parse_accepts_tabs_runs_of_spaces_crlf_and_blank_lines_like_the_go_command()
    {
        var sum = GoSumFile.Parse($"\r\nexample.com/attest/a\tv1.0.0   {A}\r\n\n");
        Assert.Empty(sum.Findings);
        Assert.Equal(A, Assert.Single(sum.Entries).Hash);
    }

    [Fact]
    public void Parse_reports_malformed_line_with_position_and_keeps_reading_after_it()
    {
        var sum = GoSumFile.Parse($"garbage line\nexample.com/attest/a v1.0.0 {A}\nexample.com/attest/a v1.0.0/go.mod\n");
        Assert.Equal(2, sum.Findings.Count(f => f.Code == GoSumCodes.LineMalformed));
        var first = sum.Findings.First();
        Assert.Equal("1", first.Evidence!["line"]);
        Assert.Equal("1", first.Evidence["column"]);
        Assert.Equal("3", sum.Findings[1].Evidence!["line"]);
        Assert.Equal(A, sum.H1("example.com/attest/a", "v1.0.0", false)); // the line after the bad one is still read
    }

    [Theory]
    [InlineData("example.com/a v1.0.0 h2:abcd", GoSumCodes.HashUnknownAlgorithm, 22)]
    [InlineData("example.com/a v1.0.0 h1:garbage+hash", GoSumCodes.HashMalformed, 22)]
    [InlineData("example.com/a v1.0.0 nocolon", GoSumCodes.HashMalformed, 22)]
    [InlineData("example.com/a v1.0 " + A, GoSumCodes.VersionNonCanonical, 15)]
    [InlineData("example.com/a 1.0.0 " + A, GoSumCodes.VersionInvalid, 15)]
    [InlineData("example.com/a v2.0.0 " + A, GoSumCodes.VersionMajorMismatch, 15)]
    [InlineData("example.com/a/v2 v1.0.0 " + A, GoSumCodes.VersionMajorMismatch, 18)]
    [InlineData("example.com/a/v2 v2.0.0+incompatible " + A, GoSumCodes.VersionMajorMismatch, 18)]
    [InlineData("example.com/a v1.0.0+incompatible " + A, GoSumCodes.VersionMajorMismatch, 15)]
    [InlineData("example.com/a v2.0.0+meta " + A, GoSumCodes.VersionNonCanonical, 15)]
    [InlineData("Example.com/a v1.0.0 " + A, GoSumCodes.PathInvalid, 1)]
    [InlineData("localhost/a v1.0.0 " + A, GoSumCodes.PathInvalid, 1)]
    [InlineData("example.com/../a v1.0.0 " + A, GoSumCodes.PathInvalid, 1)]
    [InlineData("example.com/a v1.0.0/go.mod " + DirHash.EmptyGoMod, GoSumCodes.HashEmptyGoMod, 29)]
    public void Parse_reports_each_malformation_with_its_code_and_column(string line, string code, int column)
    {
        var sum = GoSumFile.Parse(line + "\n");
        var finding = Assert.Single(sum.Findings);
        Assert.Equal(code, finding.Code);
        Assert.Equal(column.ToString(System.Globalization.CultureInfo.InvariantCulture), finding.Evidence!["column"]);
        Assert.False(GoSumCodes.IsWarning(code));
    }

    [Fact]
    public void Parse_accepts_incompatible_and_pseudo_versions()
    {
        var sum = GoSumFile.Parse(
            $"example.com/Attest/Upper v0.0.0-20240102030405-abcdefabcdef {A}\nexample.com/attest/b/v2 v2.1.0 {A}\nexample.com/attest/old v3.0.0+incompatible {A}\ngopkg.in/yaml.v2 v2.4.0 {A}\n");
        Assert.Empty(sum.Findings);
        Assert.Equal(4, sum.Entries.Count);
    }

    [Fact]
    public void Parse_reports_conflicting_hashes_regardless_of_order()
    {
        var forward = GoSumFile.Parse($"example.com/a v1.0.0 {A}\nexample.com/a v1.0.0 {AMod}\n");
        var backward = GoSumFile.Parse($"example.com/a v1.0.0 {AMod}\nexample.com/a v1.0.0 {A}\n");
        var f = Assert.Single(forward.Findings, x => x.Code == GoSumCodes.HashConflict);
        var b = Assert.Single(backward.Findings, x => x.Code == GoSumCodes.HashConflict);
        Assert.Equal("2", f.Evidence!["line"]);
        Assert.Equal("2", b.Evidence!["line"]);
    }

    [Fact]
    public void Parse_reports_duplicates_as_warnings()
    {
        var sum = GoSumFile.Parse($"example.com/a v1.0.0 {A}\nexample.com/a v1.0.0 {A}\n");
        var finding = Assert.Single(sum.Findings);
        Assert.Equal(GoSumCodes.LineDuplicate, finding.Code);
        Assert.True(GoSumCodes.IsWarning(finding.Code));
        Assert.Single(sum.Entries);
    }

    [Fact]
    public void Parse_reports_lines_out_of_go_mod_tidy_order_once()
    {
        var sum = GoSumFile.Parse($"example.com/b v1.0.0 {A}\nexample.com/a v1.0.0/go.mod {A}\nexample.com/a v1.0.0 {A}\n");
        var finding = Assert.Single(sum.Findings);
        Assert.Equal(GoSumCodes.LineOrder, finding.Code);
        Assert.Equal("2", finding.Evidence!["line"]);
    }

    [Fact]
    public void Parse_orders_versions_semantically_not_lexically()
    {
        var sum = GoSumFile.Parse($"example.com/a v1.2.0 {A}\nexample.com/a v1.10.0 {A}\nexample.com/a v1.10.0/go.mod {A}\n");
        Assert.Empty(sum.Findings);
    }

    [Fact]
    public void Parse_rejects_invalid_utf8()
    {
        var sum = GoSumFile.Parse([0x65, 0xFF, 0x0A]);
        Assert.Equal(GoSumCodes.LineMalformed, Assert.Single(sum.Findings).Code);
    }

    [Fact]
    public void Format_writes_sorted_deduplicated_lines_like_go()
    {
        var sum = GoSumFile.Parse($"example.com/b v1.0.0 {A}\nexample.com/a v1.10.0 {A}\nexample.com/a v1.2.0/go.mod {A}\nexample.com/a v1.2.0 {A}\nexample.com/a v1.2.0 {A}\n");
        Assert.Equal($"example.com/a v1.2.0 {A}\nexample.com/a v1.2.0/go.mod {A}\nexample.com/a v1.10.0 {A}\nexample.com/b v1.0.0 {A}\n", GoSumFile.Format(sum.Entries));
    }

    [Fact]
    public void Load_refuses_files_over_the_limit()
    {
        using var dir = new Attest.Testing.TempDirectory();
        var path = Path.Combine(dir.Path, "go.sum");
        File.WriteAllText(path, new string('x', 100));
        var sum = GoSumFile.Load(path, GoModulesLimits.Default with { MaxGoSumBytes = 10 });
        Assert.Equal(GoSumCodes.FileTooLarge, Assert.Single(sum.Findings).Code);
    }
}
