using System.IO.Compression;
using System.Text;
using Attest.Testing;

namespace Attest.GoModules.Tests;

/// <summary>The verifier's checks on a hand-built module cache (no go command needed): each check has a passing and
/// a failing case.</summary>
public sealed class GoSumVerifierTests : IDisposable
{
    private readonly TempDirectory _dir = new("attest-verifier");
    private string Cache => _dir.Combine("modcache");
    private string Main => _dir.Combine("main");
    private static readonly ModuleVersion A = new("example.com/a", "v1.0.0");
    private static readonly byte[] AMod = Encoding.UTF8.GetBytes("module example.com/a\n\ngo 1.17\n");
    private static readonly (string, byte[])[] AFiles = [("go.mod", AMod), ("a.go", Encoding.UTF8.GetBytes("package a\n"))];

    public GoSumVerifierTests()
    {
        Directory.CreateDirectory(Main);
        AddToCache(A, AMod, AFiles);
    }

    public void Dispose() => _dir.Dispose();

    private void AddToCache(ModuleVersion module, byte[] mod, IEnumerable<(string Rel, byte[] Data)> files)
    {
        var download = Path.Combine(Cache, "cache", "download", ModulePath.Escape(module.Path)!, "@v");
        Directory.CreateDirectory(download);
        var stem = Path.Combine(download, ModulePath.EscapeVersion(module.Version)!);
        File.WriteAllBytes(stem + ".mod", mod);
        using (var zip = ZipFile.Open(stem + ".zip", ZipArchiveMode.Create))
            foreach (var (rel, data) in files)
            {
                using var s = zip.CreateEntry(module.ZipPrefix + rel).Open();
                s.Write(data);
            }
        var dir = Path.Combine(Cache, ModulePath.Escape(module.Path)! + "@" + ModulePath.EscapeVersion(module.Version));
        foreach (var (rel, data) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, rel))!);
            File.WriteAllBytes(Path.Combine(dir, rel), data);
        }
    }

    private static string Lines(ModuleVersion module, byte[] mod, IEnumerable<(string Rel, byte[] Data)> files) =>
        $"{module.Path} {module.Version} {DirHash.Hash1(files.Select(f => new DirHashFile(module.ZipPrefix + f.Rel, () => new MemoryStream(f.Data))))}\n" +
        $"{module.Path} {module.Version}/go.mod {DirHash.HashGoMod(mod)}\n";

    private void Write(string goMod, string goSum)
    {
        File.WriteAllText(Path.Combine(Main, "go.mod"), goMod);
        File.WriteAllText(Path.Combine(Main, "go.sum"), goSum);
    }

    private GoSumReport Verify(GoSumPolicy? policy = null, GoSumVerifierOptions? options = null) =>
        new GoSumVerifier(options ?? new GoSumVerifierOptions { ModuleCache = Cache }, policy ?? GoSumPolicy.Default).Verify(Main);

    private const string RequireA = "module example.com/main\n\ngo 1.17\n\nrequire example.com/a v1.0.0\n";

    [Fact]
    public void Consistent_module_passes_without_findings()
    {
        Write(RequireA, Lines(A, AMod, AFiles));
        var report = Verify();
        Assert.Empty(report.Findings);
        Assert.True(report.Passed);
    }

    [Fact]
    public void Progress_reports_every_module_version_once()
    {
        Write(RequireA, Lines(A, AMod, AFiles));
        var calls = new System.Collections.Concurrent.ConcurrentBag<(int Done, int Total)>();
        var report = Verify(options: new GoSumVerifierOptions { ModuleCache = Cache, Progress = (d, t) => calls.Add((d, t)) });
        Assert.True(report.Passed);
        Assert.Equal([(1, 1)], calls.ToArray());
    }

    [Fact]
    public void Missing_zip_and_gomod_lines_are_reported()
    {
        Write(RequireA, "");
        var report = Verify();
        Assert.Contains(report.Findings, f => f.Code == GoSumCodes.EntryMissing && f.Evidence!["module"] == "example.com/a@v1.0.0");
        Assert.Contains(report.Findings, f => f.Code == GoSumCodes.GoModEntryMissing);
    }

    [Fact]
    public void Before_go_1_17_only_direct_requirements_need_zip_lines()
    {
        Write("module example.com/main\n\ngo 1.16\n\nrequire example.com/a v1.0.0 // indirect\n", Lines(A, AMod, AFiles).Split('\n')[1] + "\n");
        var report = Verify();
        Assert.DoesNotContain(report.Findings, f => f.Code == GoSumCodes.EntryMissing);
        Assert.True(report.Passed, string.Join("\n", report.Findings));
    }

    [Fact]
    public void Zip_whose_go_mod_differs_from_the_mod_file_is_reported()
    {
        var other = Encoding.UTF8.GetBytes("module example.com/a\n\ngo 1.17\n\nrequire example.com/evil v1.0.0\n");
        var b = new ModuleVersion("example.com/b", "v1.0.0");
        var bMod = Encoding.UTF8.GetBytes("module example.com/b\n");
        (string, byte[])[] bFiles = [("go.mod", other), ("b.go", Encoding.UTF8.GetBytes("package b\n"))];
        AddToCache(b, bMod, bFiles);
        Write("module example.com/main\n\ngo 1.17\n\nrequire example.com/b v1.0.0\n", Lines(b, bMod, bFiles));
        var report = Verify();
        var finding = Assert.Single(report.Findings);
        Assert.Equal(GoSumCodes.ZipGoModMismatch, finding.Code);
    }

    [Fact]
    public void Module_absent_from_the_cache_is_a_warning()
    {
        Write("module example.com/main\n\ngo 1.17\n\nrequire example.com/gone v1.0.0\n",
            "example.com/gone v1.0.0 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nexample.com/gone v1.0.0/go.mod h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
        var report = Verify();
        Assert.Equal(GoSumCodes.ModuleNotInCache, Assert.Single(report.Findings).Code);
        Assert.True(report.Passed);
    }

    [Fact]
    public void Local_replace_is_reported_and_fails_unless_policy_allows_it()
    {
        Directory.CreateDirectory(_dir.Combine("local"));
        File.WriteAllText(_dir.Combine("local", "go.mod"), "module example.com/a\n");
        Write(RequireA + "replace example.com/a => ../local\n", "");
        var denied = Verify();
        Assert.Contains(denied.Findings, f => f.Code == GoSumCodes.ReplaceLocal && f.Evidence!.ContainsKey("dirHash"));
        Assert.Contains(denied.Findings, f => f.Code == GoSumCodes.PolicyLocalReplace);
        Assert.False(denied.Passed);
        var allowed = Verify(new GoSumPolicy { AllowLocalReplace = true });
        Assert.True(allowed.Passed, string.Join("\n", allowed.Findings));
        Assert.Contains(allowed.Findings, f => f.Code == GoSumCodes.ReplaceLocal);
    }

    [Fact]
    public void Module_replacement_needs_lines_for_the_replacement_and_is_reported()
    {
        var fork = new ModuleVersion("example.com/fork", "v1.0.1");
        var forkMod = Encoding.UTF8.GetBytes("module example.com/a\n");
        (string, byte[])[] forkFiles = [("go.mod", forkMod), ("a.go", Encoding.UTF8.GetBytes("package a // fork\n"))];
        AddToCache(fork, forkMod, forkFiles);
        Write(RequireA + "replace example.com/a v1.0.0 => example.com/fork v1.0.1\n", Lines(fork, forkMod, forkFiles));
        var report = Verify();
        Assert.True(report.Passed, string.Join("\n", report.Findings));
        Assert.Contains(report.Findings, f => f.Code == GoSumCodes.ReplaceModule && f.Evidence!["replacement"] == "example.com/fork@v1.0.1");
    }

    [Fact]
    public void Sumdb_exemptions_are_reported_and_fail_unless_policy_lists_the_module_as_private()
    {
        Write(RequireA, Lines(A, AMod, AFiles));
        var options = new GoSumVerifierOptions { ModuleCache = Cache, GoNoSumDb = "example.com" };
        var report = Verify(options: options);
        Assert.Contains(report.Findings, f => f.Code == GoSumCodes.SumDbExempt);
        Assert.Contains(report.Findings, f => f.Code == GoSumCodes.PolicySumDbExempt);
        var privatePolicy = Verify(new GoSumPolicy { PrivatePatterns = ["example.com/*"] }, options);
        Assert.True(privatePolicy.Passed, string.Join("\n", privatePolicy.Findings));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("*,corp.example.com")]
    public void Pattern_exempting_every_public_module_is_reported(string pattern)
    {
        Write(RequireA, Lines(A, AMod, AFiles));
        var report = Verify(options: new GoSumVerifierOptions { ModuleCache = Cache, GoPrivate = pattern });
        Assert.Contains(report.Findings, f => f.Code == GoSumCodes.SumDbExemptAll);
    }

    [Theory]
    [InlineData("-mod=mod", null, null, GoSumCodes.EnvModMod)]
    [InlineData("-trimpath -modcacherw", null, null, GoSumCodes.EnvModCacheRw)]
    [InlineData(null, "example.com", null, GoSumCodes.EnvInsecure)]
    [InlineData("-insecure", null, null, GoSumCodes.EnvInsecure)]
    [InlineData(null, null, "1", GoSumCodes.EnvNoSumCheck)]
    public void Settings_that_weaken_checksum_checks_are_reported_as_warnings(string? goFlags, string? goInsecure, string? noSumCheck, string code)
    {
        Write(RequireA, Lines(A, AMod, AFiles));
        var report = Verify(options: new GoSumVerifierOptions { ModuleCache = Cache, GoFlags = goFlags, GoInsecure = goInsecure, GoNoSumCheck = noSumCheck });
        Assert.Equal(code, Assert.Single(report.Findings).Code);
        Assert.True(report.Passed);
    }

    [Fact]
    public void Readonly_goflags_are_not_reported()
    {
        Write(RequireA, Lines(A, AMod, AFiles));
        Assert.Empty(Verify(options: new GoSumVerifierOptions { ModuleCache = Cache, GoFlags = "-mod=readonly -trimpath" }).Findings);
    }

    [Fact]
    public void Gosumdb_off_is_reported()
    {
        Write(RequireA, Lines(A, AMod, AFiles));
        var report = Verify(options: new GoSumVerifierOptions { ModuleCache = Cache, GoSumDb = "off" });
        Assert.Equal(GoSumCodes.SumDbExemptAll, Assert.Single(report.Findings).Code);
    }

    [Theory]
    [InlineData("example.com/a", true)]
    [InlineData("example.com/a@<1.2.3", true)]
    [InlineData("example.com/a@<=v1.0.0", true)]
    [InlineData("example.com/a@1.0.0", true)]
    [InlineData("example.com/a@<1.0.0", false)]
    [InlineData("example.com/a@>1.0.0", false)]
    [InlineData("example.com/*@>=0.1.0", true)]
    [InlineData("example.com/b", false)]
    public void Denied_modules_and_versions_from_policy_fail(string rule, bool denied)
    {
        Write(RequireA, Lines(A, AMod, AFiles));
        var policy = new GoSumPolicy { DeniedModules = [rule] };
        Assert.Empty(policy.Validate());
        var report = Verify(policy);
        Assert.Equal(denied, report.Findings.Any(f => f.Code == GoSumCodes.PolicyDeniedModule));
        Assert.Equal(!denied, report.Passed);
    }

    [Fact]
    public void Policy_validation_lists_every_bad_entry()
    {
        var errors = new GoSumPolicy { DeniedModules = ["@v1", "example.com/a@notaversion"], PrivatePatterns = ["", "a,b"] }.Validate();
        Assert.Equal(4, errors.Count);
    }

    private void Vendor(string modulesTxt, params (string Rel, string Content)[] files)
    {
        var vendor = Path.Combine(Main, "vendor");
        Directory.CreateDirectory(vendor);
        File.WriteAllText(Path.Combine(vendor, "modules.txt"), modulesTxt);
        foreach (var (rel, content) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(vendor, rel))!);
            File.WriteAllText(Path.Combine(vendor, rel), content);
        }
    }

    [Fact]
    public void Vendored_files_equal_to_the_verified_zip_pass()
    {
        Write(RequireA, Lines(A, AMod, AFiles));
        Vendor("# example.com/a v1.0.0\n## explicit; go 1.17\nexample.com/a\n", ("example.com/a/a.go", "package a\n"));
        var report = Verify();
        Assert.Empty(report.Findings);
    }

    [Theory]
    [InlineData("# example.com/a v1.0.0\nexample.com/a\n", GoSumCodes.VendorExplicitMissing)]
    [InlineData("# example.com/a v1.0.1\n## explicit\nexample.com/a\n", GoSumCodes.VendorVersionMismatch)]
    [InlineData("# example.com/a v1.0.0\n## explicit; go 1.16\nexample.com/a\n", GoSumCodes.VendorGoVersionMismatch)]
    [InlineData("# example.com/a v1.0.0\n## explicit\nexample.com/a\n# example.com/b v1.0.0\n## explicit\n", GoSumCodes.VendorExplicitExtra)]
    [InlineData("# example.com/a v1.0.0 => example.com/fork v1.0.1\n## explicit\nexample.com/a\n", GoSumCodes.VendorReplaceMismatch)]
    public void Vendor_modules_txt_inconsistent_with_go_mod_is_reported(string modulesTxt, string code)
    {
        Write(RequireA, Lines(A, AMod, AFiles));
        Vendor(modulesTxt, ("example.com/a/a.go", "package a\n"));
        var report = Verify();
        Assert.Contains(report.Findings, f => f.Code == code);
        Assert.False(report.Passed);
    }

    [Theory]
    [InlineData("example.com/a/a.go", "package a // changed\n", GoSumCodes.VendorFileModified)]
    [InlineData("example.com/a/extra.go", "package a\n", GoSumCodes.VendorFileExtra)]
    [InlineData("example.com/other/x.go", "package other\n", GoSumCodes.VendorFileUnlisted)]
    public void Vendored_file_not_matching_the_verified_zip_is_named(string rel, string content, string code)
    {
        Write(RequireA, Lines(A, AMod, AFiles));
        Vendor("# example.com/a v1.0.0\n## explicit; go 1.17\nexample.com/a\n", ("example.com/a/a.go", "package a\n"), (rel, content));
        var report = Verify();
        var finding = Assert.Single(report.Findings);
        Assert.Equal(code, finding.Code);
        Assert.EndsWith(rel.Replace('/', Path.DirectorySeparatorChar), finding.Evidence!["file"], StringComparison.Ordinal);
    }

    [Fact]
    public void Vendored_files_are_not_trusted_when_the_zip_does_not_match_go_sum()
    {
        Write(RequireA, Lines(A, AMod, AFiles).Replace(DirHash.Hash1(AFiles.Select(f => new DirHashFile(A.ZipPrefix + f.Item1, () => new MemoryStream(f.Item2)))), DirHash.Empty, StringComparison.Ordinal));
        Vendor("# example.com/a v1.0.0\n## explicit; go 1.17\nexample.com/a\n", ("example.com/a/a.go", "package a\n"));
        var report = Verify();
        Assert.Contains(report.Findings, f => f.Code == GoSumCodes.HashMismatch);
        Assert.Contains(report.Findings, f => f.Code == GoSumCodes.VendorUnverified);
    }

    [Fact]
    public void Directory_without_go_mod_is_unusable()
    {
        var report = Verify();
        Assert.True(report.Unusable);
        Assert.False(report.Passed);
    }
}
