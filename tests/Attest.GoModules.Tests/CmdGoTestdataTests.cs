using Attest.Testing;

namespace Attest.GoModules.Tests;

/// <summary>The cmd/go test modules (Debian golang-1.19-src, <c>/usr/share/go-1.19/src/cmd/go/testdata/mod/</c>): the
/// go.sum lines of cmd/go's own scripts, and the go command's answers for every module.</summary>
public sealed class CmdGoTestdataTests
{
    private static string TestdataDirectory()
    {
        var dir = ModuleTxtar.GoTestdataMod;
        if (!Directory.Exists(dir))
            throw new RigPrerequisiteException($"{dir} is missing: install the Debian package 'golang-go' (it pulls in golang-1.19-src), or set GO_TESTDATA_MOD; ./test.sh installs it");
        return dir;
    }

    private static (string? Zip, string? GoMod) AttestHashes(string directory, string path, string version)
    {
        var file = ModuleTxtar.Find(directory, path, version);
        if (file is null) return (null, null);
        var txtar = ModuleTxtar.Load(file);
        using var zip = TestZips.Build(txtar.ZipEntries);
        var zipHash = ModuleZip.Hash(zip, txtar.Module).Hash;
        var goMod = txtar.Mod is null ? null : DirHash.HashGoMod(txtar.Mod);
        return (zipHash, goMod);
    }

    private static IEnumerable<string[]> TsvRows() =>
        File.ReadLines(RepositoryPaths.Vectors("go", "cmdgo-1.19-script-gosum-lines.tsv"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'));

    [Fact]
    public void Every_OK_line_of_the_cmd_go_scripts_is_reproduced()
    {
        var directory = TestdataDirectory();
        var rows = TsvRows().Where(r => r[0] == "OK").ToList();
        Assert.Equal(58, rows.Count);
        foreach (var row in rows)
        {
            var (path, versionField, hash) = (row[1], row[2], row[3]);
            var goMod = versionField.EndsWith("/go.mod", StringComparison.Ordinal);
            var version = goMod ? versionField[..^7] : versionField;
            var (zipHash, goModHash) = AttestHashes(directory, path, version);
            Assert.Equal(hash, goMod ? goModHash : zipHash);
        }
    }

    [Fact]
    public void Every_intentionally_wrong_line_of_the_cmd_go_scripts_is_detected_with_the_real_value()
    {
        var directory = TestdataDirectory();
        var rows = TsvRows().Where(r => r[0].StartsWith("MISMATCH", StringComparison.Ordinal)).ToList();
        Assert.Equal(9, rows.Count);
        foreach (var row in rows)
        {
            var got = row[0]["MISMATCH(got ".Length..^1];
            var (path, versionField, hash) = (row[1], row[2], row[3]);
            var goMod = versionField.EndsWith("/go.mod", StringComparison.Ordinal);
            var (zipHash, goModHash) = AttestHashes(directory, path, goMod ? versionField[..^7] : versionField);
            var actual = goMod ? goModHash : zipHash;
            Assert.Equal(got, actual);
            Assert.NotEqual(hash, actual);
        }
    }

    [Fact]
    public void Go_mod_download_of_every_testdata_module_agrees_with_attest()
    {
        var directory = TestdataDirectory();
        using var oracle = new GoOracle();
        var modules = new List<ModuleTxtar>();
        foreach (var file in Directory.GetFiles(directory, "*.txt").Where(f => Path.GetFileName(f) != "README"))
        {
            var txtar = ModuleTxtar.Load(file);
            if (ModulePath.Escape(txtar.Module.Path) is null || ModulePath.EscapeVersion(txtar.Module.Version) is null) continue;
            oracle.Publish(txtar.Module, txtar.Mod, txtar.ZipEntries, txtar.Info);
            modules.Add(txtar);
        }
        Assert.True(modules.Count > 150, $"only {modules.Count} testdata modules found");
        var downloads = oracle.DownloadJson(modules.Select(m => m.Module.ToString()));
        var agreed = 0;
        foreach (var d in downloads.Where(d => d.Error is null && d.Sum is not null))
        {
            var txtar = modules.SingleOrDefault(m => m.Module.Path == d.Path && m.Module.Version == d.Version);
            if (txtar is null) continue; // .info redirected the query to another version
            Assert.Equal(d.Sum, ModuleZip.Hash(d.Zip!, txtar.Module).Hash);
            Assert.Equal(d.GoModSum, DirHash.HashGoMod(File.ReadAllBytes(d.GoMod!)));
            using var zip = TestZips.Build(txtar.ZipEntries);
            Assert.Equal(d.Sum, ModuleZip.Hash(zip, txtar.Module).Hash);
            agreed++;
        }
        Assert.True(agreed > 120, $"only {agreed} modules downloaded");
        // Modules the go command refused to download: Attest must not call them clean either.
        foreach (var d in downloads.Where(d => d.Error is not null && d.Error.Contains("zip", StringComparison.OrdinalIgnoreCase)))
        {
            var txtar = modules.SingleOrDefault(m => m.Module.Path == d.Path && m.Module.Version == d.Version);
            if (txtar is null) continue;
            using var zip = TestZips.Build(txtar.ZipEntries);
            Assert.False(ModuleZip.Hash(zip, txtar.Module).IsClean, $"go refused {d.Path}@{d.Version} ({d.Error}) but Attest found nothing");
        }
    }
}
