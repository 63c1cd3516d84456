using System.Text.Json;
using Attest.Testing;

namespace Attest.GoModules.Tests;

public sealed class GoSumCommandTests
{
    private static readonly string Uni = RepositoryPaths.Vectors("go", "attest-own-txtar-modules", "example.com_attest_uni_v1.0.0.txt");

    [Fact]
    public void Hash_of_a_module_directory_prints_the_go_tool_lines()
    {
        var txtar = ModuleTxtar.Load(Uni);
        using var dir = new TempDirectory();
        foreach (var (name, data) in txtar.ZipEntries)
        {
            var target = Path.Combine(dir.Path, name[txtar.Module.ZipPrefix.Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, data);
        }
        var result = Cli.Run("gosum", "hash", dir.Path, "--module", "example.com/attest/uni@v1.0.0");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var vectors = DirHashTests.VectorsText();
        Assert.All(lines, l => Assert.Contains(l, vectors));
    }

    [Fact]
    public void Hash_of_a_module_zip_prints_the_go_tool_lines_including_synthesized_gomod()
    {
        var txtar = ModuleTxtar.Load(RepositoryPaths.Vectors("go", "attest-own-txtar-modules", "example.com_attest_old_v3.0.0+incompatible.txt"));
        using var dir = new TempDirectory();
        var zipPath = dir.Combine("m.zip");
        using (var zip = TestZips.Build(txtar.ZipEntries)) File.WriteAllBytes(zipPath, zip.ToArray());
        var result = Cli.Run("gosum", "hash", zipPath, "--module", "example.com/attest/old@v3.0.0+incompatible");
        Assert.Equal(0, result.ExitCode);
        var vectors = DirHashTests.VectorsText();
        Assert.All(result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Contains(l, vectors));
    }

    [Fact]
    public void Hash_of_a_missing_path_exits_2()
    {
        using var dir = new TempDirectory();
        var result = Cli.Run("gosum", "hash", dir.Combine("nope"), "--module", "example.com/m@v1.0.0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_of_an_unsafe_zip_exits_2_and_names_the_problem()
    {
        using var dir = new TempDirectory();
        var zipPath = dir.Combine("m.zip");
        using (var zip = TestZips.Build([("example.com/m@v1.0.0/../../evil", TestZips.Bytes("x"))])) File.WriteAllBytes(zipPath, zip.ToArray());
        var result = Cli.Run("gosum", "hash", zipPath, "--module", "example.com/m@v1.0.0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(GoSumCodes.ZipPathTraversal, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_without_go_mod_exits_2()
    {
        using var dir = new TempDirectory();
        var result = Cli.Run("gosum", "verify", dir.Path);
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public void Verify_reports_malformed_go_sum_with_positions_and_exits_1_with_json()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("go.mod"), "module example.com/m\n\ngo 1.19\n\nrequire example.com/a v1.0.0\n");
        File.WriteAllText(dir.Combine("go.sum"), "garbage\nexample.com/a v1.0.0/go.mod h1:m92VAX1UshsxOTYLb3oRNVPBa0HHvPInDREtJ0troNM=\n");
        var result = Cli.Run("gosum", "verify", dir.Path, "--json");
        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Output);
        Assert.Equal("failed", doc.RootElement.GetProperty("verdict").GetString());
        var codes = doc.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("code").GetString()).ToList();
        Assert.Contains(GoSumCodes.LineMalformed, codes);
        Assert.Contains(GoSumCodes.EntryMissing, codes); // go >= 1.17 semantics: a required module needs its zip line
        Assert.DoesNotContain(GoSumCodes.GoModEntryMissing, codes);
    }
}

public sealed class GoSumCommandSumDbTests
{
    private static string Cache => RepositoryPaths.Vectors("go", "real-sumdb-cache-2022", "cache");
    private static string Latest => RepositoryPaths.Vectors("go", "real-sumdb-cache-2022", "config", "sum.golang.org", "latest");

    private static TempDirectory MainModule(string goSum)
    {
        var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("go.mod"), "module example.com/m\n\ngo 1.16\n\nrequire github.com/davecgh/go-spew v1.1.1\n");
        File.WriteAllText(dir.Combine("go.sum"), goSum);
        return dir;
    }

    [Fact]
    public void Verify_with_sumdb_cache_accepts_go_sum_lines_signed_by_sum_golang_org()
    {
        using var dir = MainModule("github.com/davecgh/go-spew v1.1.1 h1:vj9j/u1bqnvCEfJOwUhtlOARqs3+rkHYY13jYWTU97c=\ngithub.com/davecgh/go-spew v1.1.1/go.mod h1:J7Y8YcW2NihsgmVo/mv3lAwl/skON4iLHjSsI+c5H38=\n");
        var result = Cli.Run("gosum", "verify", dir.Path, "--sumdb-cache", Cache, "--sumdb-latest", Latest);
        Assert.True(result.ExitCode == 0, result.Error + result.Output);
    }

    [Fact]
    public void Verify_with_sumdb_cache_reports_a_go_sum_hash_the_database_did_not_sign()
    {
        using var dir = MainModule("github.com/davecgh/go-spew v1.1.1 h1:vj9j/u1bqnvCEfJOwUhtlOARqs3+rkHYY13jYWTU97c=\ngithub.com/davecgh/go-spew v1.1.1/go.mod h1:aJ7OseBLWd+WPN8Ntt+Mh2Wf34+dK67wR2kFnuTqfks=\n");
        var result = Cli.Run("gosum", "verify", dir.Path, "--sumdb-cache", Cache, "--sumdb-latest", Latest, "--json");
        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Output);
        var finding = Assert.Single(doc.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == GoSumCodes.SumDbHashMismatch);
        Assert.Equal("h1:J7Y8YcW2NihsgmVo/mv3lAwl/skON4iLHjSsI+c5H38=", finding.GetProperty("evidence").GetProperty("expected").GetString());
    }

    [Fact]
    public void Verify_with_a_missing_sumdb_cache_exits_2()
    {
        using var dir = MainModule("");
        var result = Cli.Run("gosum", "verify", dir.Path, "--sumdb-cache", dir.Combine("nope"));
        Assert.Equal(2, result.ExitCode);
    }
}
