using System.Text;
using Attest.GoModules.SumDb;
using Attest.Testing;

namespace Attest.GoModules.Tests.SumDb;

/// <summary>The go command verifying real sum.golang.org data offline (shared/tools/go-oracle sumdb-demo): what it
/// accepts, Attest proves from the same cache; what it calls a SECURITY ERROR, Attest reports.</summary>
public sealed class SumDbOracleTests
{
    private static void CopyTree(string source, string target)
    {
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }

    [Fact]
    public void Go_sum_written_by_go_from_the_real_sumdb_cache_is_proven_by_attest_and_tampering_is_caught_by_both()
    {
        using var oracle = new GoOracle();
        var vectors = RepositoryPaths.Vectors("go", "real-sumdb-cache-2022");
        var sumdbCache = Path.Combine(oracle.ModCache, "cache", "download", "sumdb");
        CopyTree(Path.Combine(vectors, "cache"), sumdbCache);
        var latest = Path.Combine(oracle.GoPath, "pkg", "sumdb", "sum.golang.org", "latest");
        Directory.CreateDirectory(Path.GetDirectoryName(latest)!);
        File.Copy(Path.Combine(vectors, "config", "sum.golang.org", "latest"), latest);
        var spew = new ModuleVersion("github.com/davecgh/go-spew", "v1.1.1");
        oracle.Publish(spew, DirHash.LegacyGoMod(spew.Path), []);
        oracle.Environment["GOSUMDB"] = "sum.golang.org";
        var main = Path.Combine(oracle.Work, "m");
        Directory.CreateDirectory(main);
        File.WriteAllText(Path.Combine(main, "go.mod"), "module example.com/realsumdb\n\ngo 1.19\n\nrequire github.com/davecgh/go-spew v1.1.1\n");

        oracle.Run(main, "-mod=mod", "list", "-m", "all").EnsureSuccess("go list -m all with GOSUMDB=sum.golang.org");
        var goSum = GoSumFile.Load(Path.Combine(main, "go.sum"));
        Assert.Equal($"github.com/davecgh/go-spew v1.1.1/go.mod {DirHash.HashGoMod(DirHash.LegacyGoMod(spew.Path))}", Assert.Single(goSum.Entries).ToString());
        var report = new SumDbVerifier().VerifyCache(sumdbCache, latest);
        Assert.Equal(54, report.RecordsProven);
        Assert.Empty(SumDbVerifier.CompareGoSum(goSum, report));

        // A proxy serving a different go.mod: go refuses it, and the hash it would have written is not the signed one.
        File.Delete(Path.Combine(main, "go.sum"));
        GoOracle.MakeWritable(Path.Combine(oracle.ModCache, "cache", "download", "github.com", "davecgh", "go-spew", "@v", "v1.1.1.mod"));
        foreach (var f in Directory.GetFiles(Path.Combine(oracle.ModCache, "cache", "download", "github.com"), "*", SearchOption.AllDirectories)) File.Delete(f);
        var tampered = Encoding.UTF8.GetBytes("module github.com/davecgh/go-spew\n// tampered\n");
        File.WriteAllBytes(Path.Combine(oracle.Proxy, "github.com", "davecgh", "go-spew", "@v", "v1.1.1.mod"), tampered);
        var refused = oracle.Run(main, "-mod=mod", "list", "-m", "all");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("SECURITY ERROR", refused.StandardError, StringComparison.Ordinal);
        var forged = GoSumFile.Parse($"github.com/davecgh/go-spew v1.1.1/go.mod {DirHash.HashGoMod(tampered)}\n");
        var finding = Assert.Single(SumDbVerifier.CompareGoSum(forged, report));
        Assert.Equal(GoSumCodes.SumDbHashMismatch, finding.Code);
        Assert.Contains(finding.Evidence!["expected"], refused.StandardError, StringComparison.Ordinal); // go names the same signed hash
    }
}
