using System.IO.Compression;
using Attest.Testing;

namespace Attest.GoModules.Tests;

public class ModuleZipTests
{
    public static TheoryData<string, string> XmodUnzipCases()
    {
        // x/mod zip/testdata/unzip: each case's wantErr maps to the finding code that names it.
        return new TheoryData<string, string>
        {
            { "bad_file_path.txt", GoSumCodes.ZipPathInvalid },
            { "bad_gomod_case.txt", GoSumCodes.ZipGoModCase },
            { "bad_mod_path.txt", GoSumCodes.ZipModulePathInvalid },
            { "bad_mod_path_version_suffix.txt", GoSumCodes.ZipVersionInvalid },
            { "bad_submodule.txt", GoSumCodes.ZipGoModNotRoot },
            { "bad_version.txt", GoSumCodes.ZipVersionInvalid },
            { "cap_go_mod_not_submodule.txt", GoSumCodes.ZipGoModNotRoot },
            { "dup_file.txt", GoSumCodes.ZipDuplicate },
            { "dup_file_and_dir.txt", GoSumCodes.ZipFileAndDirectory },
            { "file_case_conflict.txt", GoSumCodes.ZipCaseCollision },
            { "invalid_utf8_mod_path.txt", GoSumCodes.ZipModulePathInvalid },
            { "prefix_only.txt", GoSumCodes.ZipPathPrefix },
        };
    }

    [Theory]
    [MemberData(nameof(XmodUnzipCases))]
    public void Hash_reports_xmod_unzip_error_case(string file, string code)
    {
        var (archive, module) = LoadXmod("unzip", file);
        Assert.NotNull(archive.Header("wantErr"));
        using var zip = TestZips.Build(archive.Files);
        var result = ModuleZip.Hash(zip, module);
        Assert.Contains(result.Findings, f => f.Code == code);
        Assert.False(result.IsClean);
    }

    [Theory]
    [InlineData("simple.txt")]
    [InlineData("empty.txt")]
    [InlineData("go_mod_dir.txt")]
    public void Hash_matches_xmod_unzip_golden_hash(string file)
    {
        var (archive, module) = LoadXmod("unzip", file);
        using var zip = TestZips.Build(archive.Files);
        var result = ModuleZip.Hash(zip, module);
        Assert.True(result.IsClean, string.Join("; ", result.Findings));
        Assert.Equal(archive.Header("hash"), result.Hash);
    }

    [Fact]
    public void Every_xmod_unzip_case_is_covered_by_a_test()
    {
        var covered = XmodUnzipCases().Select(row => (string)row[0]).Concat(["simple.txt", "empty.txt", "go_mod_dir.txt"]).ToHashSet();
        var all = Directory.GetFiles(RepositoryPaths.Vectors("go", "xmod-zip-testdata", "unzip"), "*.txt").Select(Path.GetFileName);
        Assert.All(all, f => Assert.Contains(f!, covered));
    }

    public static TheoryData<string> OwnModules() =>
        new(Directory.GetFiles(RepositoryPaths.Vectors("go", "attest-own-txtar-modules"), "*.txt").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(OwnModules))]
    public void Hash_and_gomod_hash_match_go_tool_for_hand_made_modules(string file)
    {
        var txtar = ModuleTxtar.Load(RepositoryPaths.Vectors("go", "attest-own-txtar-modules", file));
        var vectors = DirHashTests.VectorsText();
        using var zip = TestZips.Build(txtar.ZipEntries);
        var result = ModuleZip.Hash(zip, txtar.Module);
        Assert.NotNull(result.Hash);
        Assert.Contains($"{txtar.Module.Path} {txtar.Module.Version} {result.Hash}", vectors);
        if (txtar.Mod is not null && !txtar.Module.Path.EndsWith("dirent", StringComparison.Ordinal))
            Assert.Contains($"{txtar.Module.Path} {txtar.Module.Version}/go.mod {DirHash.HashGoMod(txtar.Mod)}", vectors);
    }

    [Fact]
    public void Directory_entry_is_hashed_as_empty_file_and_reported()
    {
        var txtar = ModuleTxtar.Load(RepositoryPaths.Vectors("go", "attest-own-txtar-modules", "example.com_attest_dirent_v1.0.0.txt"));
        using var zip = TestZips.Build(txtar.ZipEntries);
        var result = ModuleZip.Hash(zip, txtar.Module);
        Assert.Equal("h1:uazkZ8Oo/rK8cPHc/hAaGEQfF0G5XS/PQNHNhF4Xr1Q=", result.Hash);
        Assert.Contains(result.Findings, f => f.Code == GoSumCodes.ZipDirectoryEntry);
        Assert.True(result.IsClean); // a warning only

        using var dir = new TempDirectory();
        foreach (var (name, data) in txtar.ZipEntries)
        {
            var rel = name[txtar.Module.ZipPrefix.Length..];
            var target = Path.Combine(dir.Path, rel);
            if (rel.EndsWith('/')) { Directory.CreateDirectory(target); continue; }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, data);
        }
        var dirHash = ModuleDirectory.Hash(dir.Path, txtar.Module);
        Assert.Equal("h1:CnA3N3b0rquhZmuSmsDFzOl9zOEuFoiSlWlNw6Cc5UQ=", dirHash.Hash);
    }

    private static readonly ModuleVersion M = new("example.com/m", "v1.0.0");

    [Theory]
    [InlineData("example.com/m@v1.0.0/../evil.go")]
    [InlineData("example.com/m@v1.0.0/a/../../evil.go")]
    [InlineData("example.com/m@v1.0.0//etc/passwd")]
    [InlineData("example.com/m@v1.0.0/a\\..\\evil.go")]
    public void Hash_refuses_path_traversal(string name)
    {
        using var zip = TestZips.Build([("example.com/m@v1.0.0/go.mod", TestZips.Bytes("module example.com/m\n")), (name, TestZips.Bytes("x"))]);
        var result = ModuleZip.Hash(zip, M);
        Assert.Null(result.Hash);
        Assert.Contains(result.Findings, f => f.Code == GoSumCodes.ZipPathTraversal);
    }

    [Fact]
    public void Hash_reports_symlink_entries()
    {
        using var zip = TestZips.Build(
            [("example.com/m@v1.0.0/go.mod", TestZips.Bytes("module example.com/m\n")), ("example.com/m@v1.0.0/link", TestZips.Bytes("/etc/passwd"))],
            (entry, name) => { if (name.EndsWith("link", StringComparison.Ordinal)) entry.ExternalAttributes = unchecked((int)(0xA1FFu << 16)); });
        var result = ModuleZip.Hash(zip, M);
        var finding = Assert.Single(result.Findings, f => f.Code == GoSumCodes.ZipSymlink);
        Assert.Equal("example.com/m@v1.0.0/link", finding.Evidence!["entry"]);
    }

    [Fact]
    public void Hash_refuses_entries_larger_than_the_file_limit_without_reading_them()
    {
        var big = new byte[4096];
        using var zip = TestZips.Build([("example.com/m@v1.0.0/big.bin", big)]);
        var result = ModuleZip.Hash(zip, M, GoModulesLimits.Default with { MaxFileBytes = 1024 });
        Assert.Null(result.Hash);
        Assert.Contains(result.Findings, f => f.Code == GoSumCodes.ZipBomb);
    }

    [Fact]
    public void Hash_refuses_highly_compressed_entries_as_zip_bombs()
    {
        var zeros = new byte[8 << 20];
        using var zip = TestZips.Build([("example.com/m@v1.0.0/zeros.bin", zeros)]);
        var result = ModuleZip.Hash(zip, M, GoModulesLimits.Default with { MaxCompressionRatio = 100 });
        Assert.Null(result.Hash);
        Assert.Contains(result.Findings, f => f.Code == GoSumCodes.ZipBomb && f.Message.Contains("fold", StringComparison.Ordinal));
    }

    [Fact]
    public void Hash_refuses_modules_whose_total_size_exceeds_the_cap()
    {
        var data = new byte[3000];
        using var zip = TestZips.Build([("example.com/m@v1.0.0/a", data), ("example.com/m@v1.0.0/b", data)]);
        var result = ModuleZip.Hash(zip, M, GoModulesLimits.Default with { MaxModuleUncompressedBytes = 5000 });
        Assert.Null(result.Hash);
        Assert.Contains(result.Findings, f => f.Code == GoSumCodes.ZipBomb && f.Message.Contains("in total", StringComparison.Ordinal));
    }

    [Fact]
    public void Hash_refuses_too_many_entries()
    {
        using var zip = TestZips.Build(Enumerable.Range(0, 5).Select(i => ($"example.com/m@v1.0.0/f{i}", new byte[1])));
        var result = ModuleZip.Hash(zip, M, GoModulesLimits.Default with { MaxFilesPerModule = 4 });
        Assert.Null(result.Hash);
        Assert.Contains(result.Findings, f => f.Code == GoSumCodes.ZipTooManyEntries);
    }

    [Fact]
    public void Hash_never_reads_more_than_an_entry_declares()
    {
        using var zip = TestZips.Build([("example.com/m@v1.0.0/a.txt", TestZips.Bytes("hello hello hello hello"))]);
        var bytes = zip.ToArray();
        // A lying header: uncompressed size 5 in the central directory (offset 24) and the local header (offset 22).
        var cd = FindSignature(bytes, [0x50, 0x4B, 0x01, 0x02]);
        BitConverter.GetBytes(5).CopyTo(bytes, cd + 24);
        var local = FindSignature(bytes, [0x50, 0x4B, 0x03, 0x04]);
        BitConverter.GetBytes(5).CopyTo(bytes, local + 22);
        var result = ModuleZip.Hash(new MemoryStream(bytes), M);
        // Either the reader refuses the entry, or it stops at the declared 5 bytes; it never inflates the rest.
        if (result.Hash is null)
        {
            Assert.Contains(result.Findings, f => f.Code is GoSumCodes.ZipBomb or GoSumCodes.ZipUnreadable);
            return;
        }
        var truncated = DirHash.Hash1([new DirHashFile("example.com/m@v1.0.0/a.txt", () => new MemoryStream(TestZips.Bytes("hello")))]);
        Assert.Equal(truncated, result.Hash);
    }

    [Fact]
    public void Hash_reports_garbage_as_unreadable()
    {
        var result = ModuleZip.Hash(new MemoryStream(TestZips.Bytes("this is not a zip file at all")), M);
        Assert.Null(result.Hash);
        Assert.Equal(GoSumCodes.ZipUnreadable, Assert.Single(result.Findings).Code);
    }

    [Fact]
    public void Hash_of_zip_equals_hash_of_extracted_directory()
    {
        var txtar = ModuleTxtar.Load(RepositoryPaths.Vectors("go", "attest-own-txtar-modules", "example.com_attest_uni_v1.0.0.txt"));
        using var zip = TestZips.Build(txtar.ZipEntries);
        using var dir = new TempDirectory();
        foreach (var (name, data) in txtar.ZipEntries)
        {
            var target = Path.Combine(dir.Path, name[txtar.Module.ZipPrefix.Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, data);
        }
        var zipHash = ModuleZip.Hash(zip, txtar.Module);
        var dirHash = ModuleDirectory.Hash(dir.Path, txtar.Module);
        Assert.Equal("h1:PEMRVGGgNPNUkkbH/AdOjOymQcZXnhfRcO0CGiKZJ0I=", zipHash.Hash);
        Assert.Equal(zipHash.Hash, dirHash.Hash);
        Assert.Equal(zipHash.FileDigests.Keys.Order(), dirHash.FileDigests.Keys.Order());
    }

    [Fact]
    public void Directory_hash_reports_symlinks_and_does_not_follow_them()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "go.mod"), "module example.com/m\n");
        File.CreateSymbolicLink(Path.Combine(dir.Path, "passwd"), "/etc/passwd");
        var result = ModuleDirectory.Hash(dir.Path, M);
        Assert.Contains(result.Findings, f => f.Code == GoSumCodes.DirIrregularFile);
        Assert.Equal(DirHash.Hash1([new DirHashFile("example.com/m@v1.0.0/go.mod", () => new MemoryStream(TestZips.Bytes("module example.com/m\n")))]), result.Hash);
    }

    private static int FindSignature(byte[] bytes, byte[] signature)
    {
        for (var i = 0; i <= bytes.Length - 4; i++)
            if (bytes.AsSpan(i, 4).SequenceEqual(signature)) return i;
        throw new InvalidOperationException("signature not found");
    }

    internal static (Txtar Archive, ModuleVersion Module) LoadXmod(string set, string file)
    {
        var archive = Txtar.Load(RepositoryPaths.Vectors("go", "xmod-zip-testdata", set, file));
        return (archive, new ModuleVersion(archive.Header("path")!, archive.Header("version")!));
    }
}

public sealed class ModuleDirectorySpecialFileTests
{
    [Fact]
    public async Task Directory_hash_does_not_block_on_a_fifo()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "go.mod"), "module example.com/m\n");
        var fifo = Path.Combine(dir.Path, "pipe");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        Assert.True(File.Exists(fifo));
        var task = Task.Run(() => ModuleDirectory.Hash(dir.Path, new ModuleVersion("example.com/m", "v1.0.0")));
        var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.True(finished == task, "hashing a directory with a FIFO blocked");
        Assert.NotNull((await task).Hash);
    }
}
