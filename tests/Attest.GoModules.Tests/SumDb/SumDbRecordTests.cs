using System.Text;
using Attest.GoModules.SumDb;
using Attest.Testing;

namespace Attest.GoModules.Tests.SumDb;

/// <summary>The records a private checksum database makes from module zips: the go command itself (offline, a file://
/// GOPROXY) is the oracle for both go.sum lines; zips that break the module zip rules make no record.</summary>
public sealed class SumDbRecordTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Records_made_from_zips_equal_the_sums_the_go_command_computes()
    {
        using var go = new GoOracle();
        (ModuleVersion Module, byte[]? GoMod, (string Rel, byte[] Data)[] Files)[] modules =
        [
            (new("corp.example/lib", "v1.2.3"), B("module corp.example/lib\n\ngo 1.19\n"),
                [("go.mod", B("module corp.example/lib\n\ngo 1.19\n")), ("lib.go", B("package lib\n")), ("sub/x.go", B("package sub\n")), ("empty.txt", [])]),
            (new("corp.example/Upper/Case", "v0.0.0-20240102030405-abcdefabcdef"), B("module corp.example/Upper/Case\n"),
                [("go.mod", B("module corp.example/Upper/Case\n")), ("c.go", B("package c\n"))]),
            (new("corp.example/old", "v3.0.0+incompatible"), null, [("old.go", B("package old\n")), ("README", B("no go.mod\n"))]),
            (new("corp.example/lib/v2", "v2.0.0-rc.1"), B("module corp.example/lib/v2\n"),
                [("go.mod", B("module corp.example/lib/v2\n")), ("unicode/é日本.txt", B("x\n")), ("d\U00010400.txt", B("y\n"))]),
        ];
        foreach (var (module, goMod, files) in modules)
            go.Publish(module, goMod ?? DirHash.LegacyGoMod(module.Path), files.Select(f => (module.ZipPrefix + f.Rel, f.Data)));
        var downloads = go.DownloadJson(modules.Select(m => m.Module.ToString()));

        foreach (var (module, _, _) in modules)
        {
            var zipPath = Path.Combine(go.Proxy, ModulePath.Escape(module.Path)!, "@v", ModulePath.EscapeVersion(module.Version)! + ".zip");
            using var zip = File.OpenRead(zipPath);
            var (record, findings) = SumDbRecord.FromZip(zip, module);
            Assert.True(record is not null, string.Join("; ", findings));
            var download = downloads.Single(d => d.Path == module.Path && d.Version == module.Version);
            Assert.Null(download.Error);
            Assert.Equal(download.Sum, record.Hash);
            Assert.Equal(download.GoModSum, record.GoModHash);
            Assert.Equal($"{module.Path} {module.Version} {download.Sum}\n{module.Path} {module.Version}/go.mod {download.GoModSum}\n", record.Text);
        }
    }

    [Theory]
    [InlineData("other.example/m@v1.0.0/a.go", GoSumCodes.ZipPathPrefix)]
    [InlineData("corp.example/m@v1.0.0/../escape.go", GoSumCodes.ZipPathTraversal)]
    [InlineData("corp.example/m@v1.0.0/sub/go.mod", GoSumCodes.ZipGoModNotRoot)]
    [InlineData("corp.example/m@v1.0.0/GO.MOD", GoSumCodes.ZipGoModCase)]
    [InlineData("corp.example/m@v1.0.0/bad\u0001name.go", GoSumCodes.ZipPathInvalid)]
    public void A_zip_that_breaks_the_module_zip_rules_makes_no_record(string badEntry, string code)
    {
        var module = new ModuleVersion("corp.example/m", "v1.0.0");
        using var zip = TestZips.Build([(module.ZipPrefix + "go.mod", B("module corp.example/m\n")), (badEntry, B("package x\n"))]);
        var (record, findings) = SumDbRecord.FromZip(zip, module);
        Assert.Null(record);
        Assert.Contains(findings, f => f.Code == code);
    }

    [Fact]
    public void Duplicate_and_case_colliding_entries_make_no_record()
    {
        var module = new ModuleVersion("corp.example/m", "v1.0.0");
        using var duplicate = TestZips.Build([(module.ZipPrefix + "a.go", B("1")), (module.ZipPrefix + "a.go", B("2"))]);
        Assert.Contains(SumDbRecord.FromZip(duplicate, module).Findings, f => f.Code == GoSumCodes.ZipDuplicate);
        Assert.Null(SumDbRecord.FromZip(duplicate, module).Record);
        using var folded = TestZips.Build([(module.ZipPrefix + "A.go", B("1")), (module.ZipPrefix + "a.go", B("2"))]);
        Assert.Null(SumDbRecord.FromZip(folded, module).Record);
        using var notZip = new MemoryStream(B("not a zip at all"));
        Assert.Contains(SumDbRecord.FromZip(notZip, module).Findings, f => f.Code == GoSumCodes.ZipUnreadable);
    }

    [Fact]
    public void A_zip_of_another_version_makes_no_record()
    {
        using var zip = TestZips.Build([("corp.example/m@v1.0.0/go.mod", B("module corp.example/m\n"))]);
        var (record, findings) = SumDbRecord.FromZip(zip, new ModuleVersion("corp.example/m", "v1.0.1"));
        Assert.Null(record);
        Assert.Contains(findings, f => f.Code == GoSumCodes.ZipPathPrefix);
    }

    [Fact]
    public void Record_text_reads_back_only_in_the_form_the_database_writes()
    {
        var module = new ModuleVersion("corp.example/m", "v1.0.0");
        var record = new SumDbRecord(module, "h1:" + new string('A', 43) + "=", "h1:" + new string('B', 43) + "=");
        Assert.True(SumDbRecord.TryParse(record.Text, module, out var back, out _));
        Assert.Equal(record, back);
        Assert.False(SumDbRecord.TryParse(record.Text.TrimEnd('\n'), module, out _, out _));
        Assert.False(SumDbRecord.TryParse(record.Text, new ModuleVersion("corp.example/m", "v1.0.1"), out _, out _));
        Assert.False(SumDbRecord.TryParse(record.Text.Replace("h1:AAAA", "h1:AA", StringComparison.Ordinal), module, out _, out _));
        var lines = record.Text.Split('\n');
        Assert.False(SumDbRecord.TryParse($"{lines[1]}\n{lines[0]}\n", module, out _, out _)); // order matters
        Assert.False(SumDbRecord.TryParse(record.Text + lines[0] + "\n", module, out _, out _));
    }
}
