using System.Text;
using Attest.Testing;

namespace Attest.GoModules.Tests;

/// <summary>Attest against the real go command (Debian golang-go): the same h1 hashes, the same go.sum, and every
/// one-byte change of a module file, go.mod or vendored file caught and named.</summary>
public sealed class GoOracleTests(GoOracleFixture fixture) : IClassFixture<GoOracleFixture>
{
    private GoSumVerifier Verifier() => new(new GoSumVerifierOptions { ModuleCache = fixture.Oracle.ModCache }, GoSumPolicy.Default);

    [Fact]
    public void Go_mod_download_sums_equal_attest_hashes_of_zip_directory_and_source_files()
    {
        Assert.Equal(fixture.Modules.Count, fixture.Downloads.Count);
        foreach (var d in fixture.Downloads)
        {
            Assert.Null(d.Error);
            var generated = fixture.Modules.Single(m => m.Module.Path == d.Path && m.Module.Version == d.Version);
            var module = generated.Module;
            // Independent of any zip: Hash1 over the files the test generated.
            var fromSource = DirHash.Hash1(generated.Files.Select(f => new DirHashFile(module.ZipPrefix + f.Rel, () => new MemoryStream(f.Data))));
            Assert.Equal(d.Sum, fromSource);
            Assert.Equal(d.Sum, ModuleZip.Hash(d.Zip!, module).Hash);
            Assert.Equal(d.Sum, ModuleDirectory.Hash(d.Dir!, module).Hash);
            Assert.Equal(d.GoModSum, DirHash.HashGoMod(File.ReadAllBytes(d.GoMod!)));
            Assert.Equal(d.GoModSum, DirHash.HashGoMod(generated.EffectiveGoMod));
        }
    }

    [Fact]
    public void Go_mod_tidy_writes_exactly_the_go_sum_attest_computes()
    {
        var used = fixture.Modules.Where(m => m.Module.Version != "v1.1.0").ToList();
        var entries = used.SelectMany(m => new[]
        {
            new GoSumEntry(m.Module.Path, m.Module.Version, false, DirHash.Hash1(m.Files.Select(f => new DirHashFile(m.Module.ZipPrefix + f.Rel, () => new MemoryStream(f.Data)))), 0),
            new GoSumEntry(m.Module.Path, m.Module.Version, true, DirHash.HashGoMod(m.EffectiveGoMod), 0),
        });
        Assert.Equal(fixture.GoSumText, GoSumFile.Format(entries));
        Assert.Empty(GoSumFile.Parse(fixture.GoSumText).Findings); // go's own order is the canonical order
    }

    [Fact]
    public void Verify_passes_for_the_untouched_module_cache_and_vendor_tree()
    {
        var report = Verifier().Verify(fixture.Main);
        Assert.True(report.Passed, string.Join("\n", report.Findings));
        Assert.DoesNotContain(report.Findings, f => f.Code is GoSumCodes.ModuleNotInCache or GoSumCodes.VendorUnverified);
        Assert.Equal(4, report.ModulesChecked);
        Assert.True(report.FilesHashed > 30);
    }

    [Fact]
    public void Vendor_modules_txt_written_by_go_parses_and_matches_go_mod()
    {
        var txt = VendorModulesTxt.Load(Path.Combine(fixture.Main, "vendor", "modules.txt"));
        Assert.Empty(txt.Findings);
        Assert.Equal(4, txt.Modules.Count);
        Assert.All(txt.Modules, m => Assert.True(m.Explicit));
        Assert.Equal("1.17", txt.Module("example.com/attest/gen")!.GoVersion);
        Assert.Equal(["example.com/attest/gen", "example.com/attest/gen/sub/deep/nested"], txt.Module("example.com/attest/gen")!.Packages);
    }

    public static TheoryData<string, string, string> Tampering() => new()
    {
        // where (relative to the module cache or main module), file, expected code
        { "cache", "example.com/attest/gen@v1.0.0/sub/deep/nested/x.go", GoSumCodes.DirHashMismatch },
        { "cache", "example.com/attest/gen@v1.0.0/unicode/d\U00010400.txt", GoSumCodes.DirHashMismatch },
        { "cache", "example.com/attest/gen@v1.0.0/empty.txt", GoSumCodes.DirHashMismatch },
        { "cache", "example.com/attest/gen@v1.0.0/go.mod", GoSumCodes.DirHashMismatch },
        { "cache", "example.com/!attest/!mixed@v0.0.0-20240102030405-abcdefabcdef/mixed.go", GoSumCodes.DirHashMismatch },
        { "cache", "cache/download/example.com/attest/gen/v2/@v/v2.3.0.mod", GoSumCodes.GoModHashMismatch },
        { "cache", "cache/download/example.com/attest/legacy/@v/v3.1.0+incompatible.zip", GoSumCodes.HashMismatch },
        { "main", "vendor/example.com/attest/gen/sub/deep/nested/x.go", GoSumCodes.VendorFileModified },
        { "main", "vendor/example.com/attest/gen/LICENSE", GoSumCodes.VendorFileModified },
        { "main", "vendor/example.com/Attest/Mixed/mixed.go", GoSumCodes.VendorFileModified },
        { "main", "go.sum", GoSumCodes.HashMismatch },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public void Verify_catches_and_names_a_one_byte_change(string root, string relative, string code)
    {
        var file = Path.Combine(root == "cache" ? fixture.Oracle.ModCache : fixture.Main, relative);
        Assert.True(File.Exists(file), file);
        GoOracle.MakeWritable(file);
        var original = File.ReadAllBytes(file);
        try
        {
            var changed = (byte[])original.Clone();
            if (changed.Length == 0) changed = [(byte)'x'];
            else if (relative == "go.sum") FlipHashCharacter(changed);
            else if (relative.EndsWith(".zip", StringComparison.Ordinal)) FlipStoredByte(changed);
            else changed[changed.Length / 2] ^= 0x01;
            File.WriteAllBytes(file, changed);

            var report = Verifier().Verify(fixture.Main);
            Assert.False(report.Passed);
            var finding = Assert.Single(report.Findings, f => f.Code == code);
            var named = finding.Evidence!.Values.Any(v => v.Contains(Path.GetFileName(relative), StringComparison.Ordinal))
                || finding.Evidence.TryGetValue("changedFiles", out var files) && files.Contains(relative[(relative.IndexOf('/', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal);
            Assert.True(named, $"{finding} does not name {relative}");
        }
        finally
        {
            File.WriteAllBytes(file, original);
        }
        Assert.True(Verifier().Verify(fixture.Main).Passed);
    }

    private static void FlipHashCharacter(byte[] goSum)
    {
        var text = Encoding.ASCII.GetString(goSum);
        var i = text.IndexOf("h1:", StringComparison.Ordinal) + 10;
        goSum[i] = goSum[i] == (byte)'A' ? (byte)'B' : (byte)'A';
    }

    /// <summary>Changes one byte of the first file's data in a zip (stored with deflate by go, so the change lands in
    /// compressed data; the reader then sees different content or a corrupt stream — both must be reported).</summary>
    private static void FlipStoredByte(byte[] zip)
    {
        var nameLength = BitConverter.ToUInt16(zip, 26);
        var extraLength = BitConverter.ToUInt16(zip, 28);
        var dataStart = 30 + nameLength + extraLength;
        zip[dataStart + 2] ^= 0x01;
    }
}

public sealed class GoOracleCliTests(GoOracleFixture fixture) : IClassFixture<GoOracleFixture>
{
    [Fact]
    public void Verify_command_exits_0_for_the_go_tool_output_and_1_after_tampering()
    {
        var ok = Cli.Run("gosum", "verify", fixture.Main, "--modcache", fixture.Oracle.ModCache);
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("4 modules", ok.Output, StringComparison.Ordinal);

        var file = Path.Combine(fixture.Main, "vendor", "example.com", "attest", "gen", "gen.go");
        var original = File.ReadAllBytes(file);
        try
        {
            File.WriteAllText(file, "package gen\n\nfunc Hello() string { return \"evil\" }\n");
            var bad = Cli.Run("gosum", "verify", fixture.Main, "--modcache", fixture.Oracle.ModCache);
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains(GoSumCodes.VendorFileModified, bad.Error, StringComparison.Ordinal);
            Assert.Contains("vendor/example.com/attest/gen/gen.go", bad.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.WriteAllBytes(file, original);
        }
    }

    [Fact]
    public void Verify_command_checks_a_whole_module_cache_against_its_ziphash_files()
    {
        var ok = Cli.Run("gosum", "verify", "--modcache", fixture.Oracle.ModCache);
        Assert.Equal(0, ok.ExitCode);
        var file = Path.Combine(fixture.Oracle.ModCache, "example.com", "attest", "gen", "v2@v2.3.0", "gen.go");
        GoOracle.MakeWritable(file);
        var original = File.ReadAllBytes(file);
        try
        {
            File.WriteAllText(file, "package gen // changed\n");
            var bad = Cli.Run("gosum", "verify", "--modcache", fixture.Oracle.ModCache);
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("dir has been modified", bad.Error, StringComparison.Ordinal);
            Assert.Contains("example.com/attest/gen/v2@v2.3.0", bad.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.WriteAllBytes(file, original);
        }
    }
}
