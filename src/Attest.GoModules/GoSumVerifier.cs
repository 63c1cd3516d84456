using System.Collections.Concurrent;
using Attest.Core;

namespace Attest.GoModules;

/// <summary>The outcome of <see cref="GoSumVerifier"/>: every finding (sorted by code, then evidence), and counts.</summary>
public sealed record GoSumReport(IReadOnlyList<Finding> Findings, int ModulesChecked, int FilesHashed)
{
    /// <summary>The main module's path (go.mod's <c>module</c> line), when it has one.</summary>
    public string? ModulePath { get; init; }

    /// <summary>Number of <c>require</c> lines in go.mod.</summary>
    public int Requirements { get; init; }

    /// <summary>True when no finding fails verification (warnings allowed).</summary>
    public bool Passed => Findings.All(f => GoSumCodes.IsWarning(f.Code));

    /// <summary>True when the input could not be used at all (no readable go.mod).</summary>
    public bool Unusable => Findings.Any(f => f.Code is GoSumCodes.GoModMissing);
}

/// <summary>Checks a main module's go.sum against what the build uses, in this order:
/// <list type="number">
/// <item>go.mod and go.sum parse strictly (every bad line reported, not only the first);</item>
/// <item>every requirement has its <c>/go.mod</c> line, and a zip line when it provides packages;</item>
/// <item>local replacements are reported (no checksum is possible) and, unless policy allows them, fail;</item>
/// <item>each module version in go.sum is re-hashed from the module cache: the zip
/// (<c>cache/download/…/@v/V.zip</c>), the extracted tree (<c>path@V/</c>), the <c>.mod</c> file, and the zip's own
/// go.mod against the <c>/go.mod</c> line — directly against go.sum, not against the cache's <c>.ziphash</c>;</item>
/// <item>vendor/modules.txt agrees with go.mod as the go command checks it, and every vendored file equals the
/// file of the verified module zip;</item>
/// <item>modules exempt from the checksum database (GONOSUMDB, GOPRIVATE, GOSUMDB=off) are reported, and fail
/// unless policy lists them as private; denied modules and versions fail.</item>
/// </list></summary>
public sealed class GoSumVerifier(GoSumVerifierOptions options, GoSumPolicy policy)
{
    private readonly ConcurrentDictionary<ModuleVersion, (HashResult Result, bool Verified)> _zips = new();
    private int _filesHashed;
    private CancellationToken _cancellation;

    /// <summary>Verifies the main module in <paramref name="moduleDirectory"/>. Throws
    /// <see cref="OperationCanceledException"/> once <paramref name="cancellationToken"/> is cancelled (the time bound).</summary>
    public GoSumReport Verify(string moduleDirectory, CancellationToken cancellationToken = default)
    {
        _cancellation = cancellationToken;
        var findings = new ConcurrentBag<Finding>();
        var limits = options.Limits;
        var goModPath = Path.Combine(moduleDirectory, "go.mod");
        if (!File.Exists(goModPath))
            return Report([FindingFactory.Create(GoSumCodes.GoModMissing, $"{goModPath}: no go.mod; not a module directory", ("file", goModPath))], 0);
        var goMod = GoModFile.Load(goModPath, limits);
        foreach (var f in goMod.Findings) findings.Add(f);
        if (goMod.Findings.Any(f => f.Code is GoSumCodes.FileUnreadable or GoSumCodes.FileTooLarge))
            return Report([FindingFactory.Create(GoSumCodes.GoModMissing, $"{goModPath}: cannot be read", ("file", goModPath)), .. goMod.Findings], 0);

        var goSumPath = Path.Combine(moduleDirectory, "go.sum");
        var goSum = File.Exists(goSumPath) ? GoSumFile.Load(goSumPath, limits) : GoSumFile.Parse("", goSumPath);
        foreach (var f in goSum.Findings) findings.Add(f);

        var vendorPath = Path.Combine(moduleDirectory, "vendor", "modules.txt");
        var vendor = File.Exists(vendorPath) ? VendorModulesTxt.Load(vendorPath, limits) : null;
        if (vendor is not null) foreach (var f in vendor.Findings) findings.Add(f);

        CheckRequirements(goMod, goSum, vendor, goSumPath, findings);
        CheckReplacements(goMod, moduleDirectory, findings);
        var modules = goSum.Modules.Take(limits.MaxModules).ToList();
        if (options.ModuleCache is { } cache) CheckCache(cache, goSum, goSumPath, modules, findings);
        if (vendor is not null) CheckVendor(goMod, goSum, vendor, moduleDirectory, findings);
        CheckSumDbExemptions(goMod, goSum, findings);
        CheckEnvironment(findings);
        CheckDenied(goMod, goSum, findings);
        if (goMod.Requires.Count == 0 && goSum.Entries.Count == 0 && vendor is null)
            findings.Add(FindingFactory.Create(GoSumCodes.NothingChecked,
                $"{goMod.ModulePath ?? "the main module"} requires no module and go.sum lists none: no dependency was checked",
                ("module", goMod.ModulePath)));
        return Report(findings, modules.Count) with { ModulePath = goMod.ModulePath, Requirements = goMod.Requires.Count };
    }

    /// <summary>Verifies a whole module cache on its own (no main module), like <c>go mod verify</c> for every module
    /// in it: each <c>cache/download/…/@v/V.zip</c> and extracted <c>path@V</c> tree against the cache's
    /// <c>V.ziphash</c>. Weaker than <see cref="Verify"/>: the cache vouches for itself.</summary>
    public GoSumReport VerifyCache(string cache, CancellationToken cancellationToken = default)
    {
        _cancellation = cancellationToken;
        var findings = new ConcurrentBag<Finding>();
        var download = Path.Combine(cache, "cache", "download");
        if (!Directory.Exists(download))
            return Report([FindingFactory.Create(GoSumCodes.GoModMissing, $"{download}: not a module cache (no cache/download)", ("file", download))], 0);
        var zips = Directory.EnumerateFiles(download, "*.zip", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(z => Path.GetFileName(Path.GetDirectoryName(z)) == "@v")
            .Take(options.Limits.MaxModules)
            .ToList();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelism > 0 ? options.MaxParallelism : Environment.ProcessorCount, CancellationToken = _cancellation };
        var done = 0;
        Parallel.ForEach(zips, parallel, zip =>
        {
            try
            {
                VerifyCachedZip(cache, download, zip, findings);
            }
            finally
            {
                options.Progress?.Invoke(Interlocked.Increment(ref done), zips.Count);
            }
        });
        return Report(findings, zips.Count);
    }

    private void VerifyCachedZip(string cache, string download, string zip, ConcurrentBag<Finding> findings)
    {
        {
            var escPath = Path.GetRelativePath(download, Path.GetDirectoryName(Path.GetDirectoryName(zip))!).Replace(Path.DirectorySeparatorChar, '/');
            var escVersion = Path.GetFileNameWithoutExtension(zip);
            if (escPath.StartsWith("sumdb/", StringComparison.Ordinal)) return;
            if (ModulePath.Unescape(escPath) is not { } path || ModulePath.UnescapeVersion(escVersion) is not { } version)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.PathInvalid, $"{zip}: not a valid escaped module path and version", ("file", zip)));
                return;
            }
            var module = new ModuleVersion(path, version);
            var zipHashFile = Path.ChangeExtension(zip, ".ziphash");
            var want = File.Exists(zipHashFile) ? TextLines.ReadBounded(zipHashFile, 1024, out _) is { } b ? System.Text.Encoding.UTF8.GetString(b).Trim() : null : null;
            var result = ModuleZip.Hash(zip, module, options.Limits, _cancellation);
            Interlocked.Add(ref _filesHashed, result.FileDigests.Count);
            foreach (var f in result.Findings) findings.Add(f);
            if (want is null)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.ModuleNotInCache, $"{zip}: no .ziphash beside the zip; nothing to compare with", ("file", zip)));
                return;
            }
            if (result.Hash is not null && result.Hash != want)
                findings.Add(FindingFactory.Create(GoSumCodes.CacheZipHashMismatch, $"{module}: zip has been modified: {zip} hashes to {result.Hash}, .ziphash has {want}",
                    ("file", zip), ("module", module.ToString()), ("expected", want), ("actual", result.Hash)));
            var dir = Path.Combine(cache, escPath + "@" + escVersion);
            if (options.CheckExtractedDirectories && Directory.Exists(dir))
            {
                var dirResult = ModuleDirectory.Hash(dir, module, options.Limits, _cancellation);
                Interlocked.Add(ref _filesHashed, dirResult.FileDigests.Count);
                foreach (var f in dirResult.Findings) findings.Add(f);
                if (dirResult.Hash is not null && dirResult.Hash != want)
                    findings.Add(FindingFactory.Create(GoSumCodes.CacheZipHashMismatch, $"{module}: dir has been modified: {dir} hashes to {dirResult.Hash}, .ziphash has {want}",
                        ("file", dir), ("module", module.ToString()), ("expected", want), ("actual", dirResult.Hash)));
            }
        }
    }

    private GoSumReport Report(IEnumerable<Finding> findings, int modules) =>
        new(findings
                .Distinct(FindingComparer.Instance)
                .OrderBy(f => f.Code, StringComparer.Ordinal)
                .ThenBy(f => f.Message, StringComparer.Ordinal)
                .ToList(),
            modules, _filesHashed);

    private static ModuleVersion? Target(GoModFile goMod, string path, string version)
    {
        var replacement = goMod.ReplacementFor(path, version);
        if (replacement is null) return new ModuleVersion(path, version);
        return replacement.IsLocal ? null : new ModuleVersion(replacement.NewPath, replacement.NewVersion);
    }

    private static void CheckRequirements(GoModFile goMod, GoSumFile goSum, VendorModulesTxt? vendor, string goSumPath, ConcurrentBag<Finding> findings)
    {
        // Go 1.17+ (graph pruning) lists every module that provides packages to the main module in go.mod; before
        // that only direct requirements are known to provide packages.
        var pruned = goMod.GoVersion is { } go && CompareGoVersion(go, "1.17") >= 0;
        foreach (var require in goMod.Requires)
        {
            var target = Target(goMod, require.Path, require.Version);
            if (target is null) continue;
            if (goSum.H1(target.Path, target.Version, goMod: true) is null)
                findings.Add(FindingFactory.Create(GoSumCodes.GoModEntryMissing,
                    $"missing go.sum entry for go.mod file of {target} (required at go.mod line {require.Line}); to add it: go mod download {target}",
                    ("file", goSumPath), ("module", target.ToString()), ("line", require.Line)));
            var providesPackages = pruned || !require.Indirect || vendor?.Module(require.Path) is { Packages.Count: > 0 };
            if (providesPackages && goSum.H1(target.Path, target.Version, goMod: false) is null)
                findings.Add(FindingFactory.Create(GoSumCodes.EntryMissing,
                    $"missing go.sum entry for module {target} (required at go.mod line {require.Line}); to add it: go mod download {target}",
                    ("file", goSumPath), ("module", target.ToString()), ("line", require.Line)));
        }
    }

    internal static int CompareGoVersion(string a, string b)
    {
        static int[] Parts(string v) => v.Split('.').Select(p => int.TryParse(new string(p.TakeWhile(char.IsAsciiDigit).ToArray()), out var n) ? n : 0).ToArray();
        var x = Parts(a);
        var y = Parts(b);
        for (var i = 0; i < Math.Max(x.Length, y.Length); i++)
        {
            var c = (i < x.Length ? x[i] : 0).CompareTo(i < y.Length ? y[i] : 0);
            if (c != 0) return c;
        }
        return 0;
    }

    private void CheckReplacements(GoModFile goMod, string moduleDirectory, ConcurrentBag<Finding> findings)
    {
        foreach (var replace in goMod.Replaces)
        {
            var old = replace.OldVersion.Length == 0 ? replace.OldPath : $"{replace.OldPath}@{replace.OldVersion}";
            if (!replace.IsLocal)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.ReplaceModule, $"{old} is replaced by {replace.NewPath}@{replace.NewVersion} (go.mod line {replace.Line})",
                    ("module", old), ("replacement", $"{replace.NewPath}@{replace.NewVersion}"), ("line", replace.Line)));
                continue;
            }
            if (!options.FollowLocalReplacements)
            {
                // The directory is on the machine that built the module, not here: whatever this machine has at that
                // path says nothing about it, and reading it would let the uploader probe this machine's files.
                findings.Add(FindingFactory.Create(GoSumCodes.ReplaceLocal,
                    $"{old} is replaced by the local directory {replace.NewPath} (go.mod line {replace.Line}); its content has no checksum and was not read (local directories are never read here)",
                    ("module", old), ("directory", replace.NewPath), ("line", replace.Line)));
            }
            else
            {
                var dir = Path.GetFullPath(Path.Combine(moduleDirectory, replace.NewPath));
                // The h1 the module zip built from this directory would have (x/mod CreateFromDir rules), for the record.
                string? hash = null;
                string? problem = null;
                try
                {
                    hash = Directory.Exists(dir)
                        ? ModuleFiles.HashAsZip(dir, new ModuleVersion(replace.OldPath, replace.OldVersion.Length == 0 ? "v0.0.0" : replace.OldVersion), options.Limits, _cancellation).Hash
                        : null;
                    if (hash is null && !Directory.Exists(dir)) problem = "the directory does not exist";
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    problem = $"the directory cannot be read: {e.Message}";
                }
                findings.Add(FindingFactory.Create(GoSumCodes.ReplaceLocal,
                    $"{old} is replaced by the local directory {replace.NewPath} (go.mod line {replace.Line}); its content has no checksum{(hash is not null ? $" (directory h1 now {hash})" : problem is null ? "" : $" and {problem}")}",
                    ("module", old), ("directory", replace.NewPath), ("line", replace.Line), ("dirHash", hash)));
            }
            if (!policy.AllowLocalReplace)
                findings.Add(FindingFactory.Create(GoSumCodes.PolicyLocalReplace, $"policy does not allow local replacements: {old} => {replace.NewPath}",
                    ("module", old), ("directory", replace.NewPath), ("line", replace.Line)));
        }
    }

    private void CheckCache(string cache, GoSumFile goSum, string goSumPath, List<ModuleVersion> modules, ConcurrentBag<Finding> findings)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelism > 0 ? options.MaxParallelism : Environment.ProcessorCount, CancellationToken = _cancellation };
        var done = 0;
        Parallel.ForEach(modules, parallel, module =>
        {
            CheckCachedModule(cache, goSum, goSumPath, module, findings);
            options.Progress?.Invoke(Interlocked.Increment(ref done), modules.Count);
        });
    }

    private void CheckCachedModule(string cache, GoSumFile goSum, string goSumPath, ModuleVersion module, ConcurrentBag<Finding> findings)
    {
        var escPath = ModulePath.Escape(module.Path);
        var escVersion = ModulePath.EscapeVersion(module.Version);
        if (escPath is null || escVersion is null) return; // reported by the go.sum parser
        var download = Path.Combine(cache, "cache", "download", escPath, "@v");
        var zipPath = Path.Combine(download, escVersion + ".zip");
        var modPath = Path.Combine(download, escVersion + ".mod");
        var dirPath = Path.Combine(cache, escPath + "@" + escVersion);
        var wantZip = goSum.H1(module.Path, module.Version, goMod: false);
        var wantMod = goSum.H1(module.Path, module.Version, goMod: true);
        var found = false;

        if (wantMod is not null && File.Exists(modPath))
        {
            found = true;
            var bytes = TextLines.ReadBounded(modPath, options.Limits.MaxGoModBytes, out var error);
            if (bytes is null)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.FileUnreadable, $"{modPath}: {error}", ("file", modPath)));
            }
            else
            {
                Interlocked.Increment(ref _filesHashed);
                var actual = DirHash.HashGoMod(bytes);
                if (actual != wantMod)
                    findings.Add(Mismatch(GoSumCodes.GoModHashMismatch, $"{module.Path} {module.Version}/go.mod", modPath, wantMod, actual, goSumPath, goSum, module, true));
            }
        }

        if (wantZip is not null && File.Exists(zipPath))
        {
            found = true;
            var result = ModuleZip.Hash(zipPath, module, options.Limits, _cancellation);
            Interlocked.Add(ref _filesHashed, result.FileDigests.Count);
            foreach (var f in result.Findings) findings.Add(f);
            var verified = result.Hash == wantZip;
            _zips[module] = (result, verified);
            if (result.Hash is not null && !verified)
                findings.Add(Mismatch(GoSumCodes.HashMismatch, $"{module.Path} {module.Version}", zipPath, wantZip, result.Hash, goSumPath, goSum, module, false));
            if (result.Hash is not null && wantMod is not null)
            {
                var zipGoMod = result.FileDigests.TryGetValue("go.mod", out var sha)
                    ? DirHash.Hash1FromDigest("go.mod", sha)
                    : DirHash.HashGoMod(DirHash.LegacyGoMod(module.Path));
                if (zipGoMod != wantMod)
                    findings.Add(FindingFactory.Create(GoSumCodes.ZipGoModMismatch,
                        $"{zipPath}: the go.mod inside the module zip hashes to {zipGoMod}, but go.sum has {wantMod} for {module.Path} {module.Version}/go.mod",
                        ("file", zipPath), ("module", module.ToString()), ("expected", wantMod), ("actual", zipGoMod)));
            }
        }

        if (wantZip is not null && options.CheckExtractedDirectories && Directory.Exists(dirPath))
        {
            found = true;
            var result = ModuleDirectory.Hash(dirPath, module, options.Limits, _cancellation);
            Interlocked.Add(ref _filesHashed, result.FileDigests.Count);
            foreach (var f in result.Findings) findings.Add(f);
            if (result.Hash is not null && result.Hash != wantZip)
            {
                var mismatch = Mismatch(GoSumCodes.DirHashMismatch, $"{module.Path} {module.Version}", dirPath, wantZip, result.Hash, goSumPath, goSum, module, false);
                var changed = ChangedFiles(module, result);
                findings.Add(changed.Length == 0 ? mismatch : mismatch with
                {
                    Message = mismatch.Message + $"; files that differ from the zip: {string.Join(", ", changed)}",
                    Evidence = new Dictionary<string, string>(mismatch.Evidence!) { ["changedFiles"] = string.Join(",", changed) },
                });
            }
            if (!_zips.ContainsKey(module) && result.Hash is not null)
                _zips[module] = (result, result.Hash == wantZip);
        }

        if (!found)
            findings.Add(FindingFactory.Create(GoSumCodes.ModuleNotInCache, $"{module} is not in the module cache {cache}; its hashes were not checked",
                ("module", module.ToString()), ("cache", cache)));
    }

    /// <summary>Names the files of an extracted tree that differ from the (verified) zip of the same module.</summary>
    private string[] ChangedFiles(ModuleVersion module, HashResult directory)
    {
        if (!_zips.TryGetValue(module, out var zip) || !zip.Verified) return [];
        var zipFiles = zip.Result.FileDigests;
        return directory.FileDigests
            .Where(kv => !zipFiles.TryGetValue(kv.Key, out var sha) || !sha.AsSpan().SequenceEqual(kv.Value))
            .Select(kv => kv.Key)
            .Concat(zipFiles.Keys.Where(k => !directory.FileDigests.ContainsKey(k)))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    private static Finding Mismatch(string code, string what, string file, string expected, string actual, string goSumPath, GoSumFile goSum, ModuleVersion module, bool goMod)
    {
        var line = goSum.Entries.FirstOrDefault(e => e.Path == module.Path && e.Version == module.Version && e.IsGoMod == goMod)?.Line;
        return FindingFactory.Create(code,
            $"checksum mismatch for {what}: {file} hashes to {actual}, go.sum:{line} has {expected}",
            ("file", file), ("module", module.ToString()), ("expected", expected), ("actual", actual), ("goSum", goSumPath), ("line", line));
    }

    private void CheckVendor(GoModFile goMod, GoSumFile goSum, VendorModulesTxt vendor, string moduleDirectory, ConcurrentBag<Finding> findings)
    {
        var vendorDir = Path.Combine(moduleDirectory, "vendor");
        var txt = Path.Combine(vendorDir, "modules.txt");
        // cmd/go checkVendorConsistency (go >= 1.14).
        foreach (var require in goMod.Requires)
        {
            var vm = vendor.Module(require.Path);
            if (vm is null || !vm.Explicit)
                findings.Add(FindingFactory.Create(GoSumCodes.VendorExplicitMissing,
                    $"{require.Path}@{require.Version} is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt",
                    ("file", txt), ("module", $"{require.Path}@{require.Version}")));
            else if (vm.Version != require.Version)
                findings.Add(FindingFactory.Create(GoSumCodes.VendorVersionMismatch,
                    $"{require.Path} is required at {require.Version} in go.mod, but vendor/modules.txt has {vm.Version}",
                    ("file", txt), ("module", require.Path), ("expected", require.Version), ("actual", vm.Version)));
        }
        foreach (var vm in vendor.Modules.Where(m => m.Explicit))
            if (goMod.Require(vm.Path) is null)
                findings.Add(FindingFactory.Create(GoSumCodes.VendorExplicitExtra,
                    $"{vm.Path}@{vm.Version} is marked as explicit in vendor/modules.txt, but not explicitly required in go.mod",
                    ("file", txt), ("module", $"{vm.Path}@{vm.Version}")));
        foreach (var replace in goMod.Replaces)
        {
            var entries = vendor.Modules.Concat(vendor.ReplacementsOnly)
                .Where(m => m.Path == replace.OldPath && (replace.OldVersion.Length == 0 || m.Version == replace.OldVersion)).ToList();
            var wanted = replace.NewVersion.Length == 0 ? replace.NewPath : $"{replace.NewPath} {replace.NewVersion}";
            foreach (var vm in entries)
            {
                if (vm.ReplacementPath is null)
                    findings.Add(FindingFactory.Create(GoSumCodes.VendorReplaceMismatch,
                        $"{vm.Path}@{vm.Version} is replaced in go.mod, but not marked as replaced in vendor/modules.txt", ("file", txt), ("module", vm.Path)));
                else if ((vm.ReplacementVersion ?? "").Length == 0 ? vm.ReplacementPath != wanted : $"{vm.ReplacementPath} {vm.ReplacementVersion}" != wanted)
                    findings.Add(FindingFactory.Create(GoSumCodes.VendorReplaceMismatch,
                        $"{vm.Path} is replaced by {wanted} in go.mod, but marked as replaced by {vm.ReplacementPath} {vm.ReplacementVersion} in vendor/modules.txt".TrimEnd(),
                        ("file", txt), ("module", vm.Path)));
            }
        }
        foreach (var vm in vendor.Modules.Concat(vendor.ReplacementsOnly).Where(m => m.IsReplaced))
            if (goMod.ReplacementFor(vm.Path, vm.Version) is null)
                findings.Add(FindingFactory.Create(GoSumCodes.VendorReplaceMismatch,
                    $"{vm.Path}@{vm.Version} is marked as replaced in vendor/modules.txt, but not replaced in go.mod", ("file", txt), ("module", vm.Path)));

        CheckVendorGoVersions(vendor, txt, findings);
        CheckVendoredFiles(goMod, goSum, vendor, moduleDirectory, vendorDir, findings);
    }

    private void CheckVendorGoVersions(VendorModulesTxt vendor, string txt, ConcurrentBag<Finding> findings)
    {
        if (options.ModuleCache is not { } cache) return;
        foreach (var vm in vendor.Modules.Where(m => m.GoVersion is not null && !(m.IsReplaced && string.IsNullOrEmpty(m.ReplacementVersion))))
        {
            var source = vm.Source;
            if (ModulePath.Escape(source.Path) is not { } esc || ModulePath.EscapeVersion(source.Version) is not { } escV) continue;
            var mod = Path.Combine(cache, "cache", "download", esc, "@v", escV + ".mod");
            if (!File.Exists(mod)) continue;
            var parsed = GoModFile.Load(mod, options.Limits);
            if (parsed.GoVersion is not null && parsed.GoVersion != vm.GoVersion)
                findings.Add(FindingFactory.Create(GoSumCodes.VendorGoVersionMismatch,
                    $"vendor/modules.txt says {vm.Path} has go {vm.GoVersion}, but its go.mod says go {parsed.GoVersion}",
                    ("file", txt), ("module", vm.Path), ("expected", parsed.GoVersion), ("actual", vm.GoVersion)));
        }
    }

    private void CheckVendoredFiles(GoModFile goMod, GoSumFile goSum, VendorModulesTxt vendor, string moduleDirectory, string vendorDir, ConcurrentBag<Finding> findings)
    {
        // Longest module path first, so nested modules (a/b inside a) claim their own files.
        var byPath = vendor.Modules.OrderByDescending(m => m.Path.Length).ToList();
        var references = new Dictionary<string, IReadOnlyDictionary<string, byte[]>?>(StringComparer.Ordinal);
        var files = Directory.EnumerateFiles(vendorDir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Take(options.Limits.MaxFilesPerModule * 10);
        var unverified = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var rel = Path.GetRelativePath(vendorDir, file).Replace(Path.DirectorySeparatorChar, '/');
            if (rel == "modules.txt") continue;
            var vm = byPath.FirstOrDefault(m => rel.StartsWith(m.Path + "/", StringComparison.Ordinal));
            if (vm is null)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.VendorFileUnlisted, $"vendor/{rel} belongs to no module listed in vendor/modules.txt", ("file", file)));
                continue;
            }
            if (!references.TryGetValue(vm.Path, out var digests))
            {
                digests = ReferenceDigests(goMod, goSum, vm, moduleDirectory);
                references[vm.Path] = digests;
            }
            if (digests is null)
            {
                if (unverified.Add(vm.Path))
                    findings.Add(FindingFactory.Create(GoSumCodes.VendorUnverified,
                        $"vendored files of {vm.Path}@{vm.Version} were not compared: no verified copy of {vm.Source} in the module cache",
                        ("module", vm.Source.ToString())));
                continue;
            }
            var inModule = rel[(vm.Path.Length + 1)..];
            if (!digests.TryGetValue(inModule, out var want))
            {
                findings.Add(FindingFactory.Create(GoSumCodes.VendorFileExtra, $"vendor/{rel} is not a file of {vm.Source}", ("file", file), ("module", vm.Source.ToString())));
                continue;
            }
            _cancellation.ThrowIfCancellationRequested();
            byte[] actual;
            try
            {
                // Regular files only (never a pipe or device), read no further than the limit.
                using var stream = new BoundedReadStream(Attest.Core.IO.RegularFile.OpenRead(file), options.Limits.MaxFileBytes, file);
                actual = System.Security.Cryptography.SHA256.HashData(stream);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.FileUnreadable, $"vendor/{rel}: {e.Message}", ("file", file)));
                continue;
            }
            Interlocked.Increment(ref _filesHashed);
            if (!actual.AsSpan().SequenceEqual(want))
                findings.Add(FindingFactory.Create(GoSumCodes.VendorFileModified,
                    $"vendor/{rel} differs from {inModule} in {vm.Source} (whose go.sum hash was verified)",
                    ("file", file), ("module", vm.Source.ToString()), ("expected", Convert.ToHexStringLower(want)), ("actual", Convert.ToHexStringLower(actual))));
        }
    }

    /// <summary>File digests of the verified source of a vendored module: the zip (or tree) whose h1 matched go.sum,
    /// or the local replacement directory as it is now.</summary>
    private IReadOnlyDictionary<string, byte[]>? ReferenceDigests(GoModFile goMod, GoSumFile goSum, VendoredModule vm, string moduleDirectory)
    {
        var replacement = goMod.ReplacementFor(vm.Path, vm.Version);
        if (replacement is { IsLocal: true })
        {
            if (!options.FollowLocalReplacements) return null;
            var dir = Path.GetFullPath(Path.Combine(moduleDirectory, replacement.NewPath));
            return Directory.Exists(dir) ? ModuleDirectory.Hash(dir, vm.Path + "@v0.0.0", options.Limits, _cancellation).FileDigests : null;
        }
        var source = vm.Source;
        if (_zips.TryGetValue(source, out var cached)) return cached.Verified ? cached.Result.FileDigests : null;
        if (options.ModuleCache is not { } cache || goSum.H1(source.Path, source.Version, false) is not { } want) return null;
        if (ModulePath.Escape(source.Path) is not { } esc || ModulePath.EscapeVersion(source.Version) is not { } escV) return null;
        var zip = Path.Combine(cache, "cache", "download", esc, "@v", escV + ".zip");
        if (!File.Exists(zip)) return null;
        var result = ModuleZip.Hash(zip, source, options.Limits, _cancellation);
        var verified = result.Hash == want;
        _zips[source] = (result, verified);
        return verified ? result.FileDigests : null;
    }

    private void CheckSumDbExemptions(GoModFile goMod, GoSumFile goSum, ConcurrentBag<Finding> findings)
    {
        var paths = goSum.Modules.Select(m => m.Path).Concat(goMod.Requires.Select(r => r.Path)).Distinct(StringComparer.Ordinal).ToList();
        if (options.GoSumDb is { } sumdb && sumdb.Trim() == "off")
            findings.Add(FindingFactory.Create(GoSumCodes.SumDbExemptAll, "GOSUMDB=off: no module is checked against the checksum database", ("GOSUMDB", sumdb)));
        foreach (var (name, value) in new[] { ("GONOSUMDB", options.GoNoSumDb), ("GOPRIVATE", options.GoPrivate) })
        {
            if (string.IsNullOrWhiteSpace(value)) continue;
            foreach (var pattern in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (ModulePath.MatchPrefixPatterns(pattern, "github.com/any/module") && ModulePath.MatchPrefixPatterns(pattern, "golang.org/x/any"))
                    findings.Add(FindingFactory.Create(GoSumCodes.SumDbExemptAll, $"{name} pattern \"{pattern}\" exempts every public module from the checksum database", (name, value)));
            foreach (var path in paths.Where(p => ModulePath.MatchPrefixPatterns(value, p)))
            {
                findings.Add(FindingFactory.Create(GoSumCodes.SumDbExempt, $"{path} is exempt from the checksum database by {name}={value}", ("module", path), (name, value)));
                if (!policy.IsPrivate(path))
                    findings.Add(FindingFactory.Create(GoSumCodes.PolicySumDbExempt,
                        $"{path} bypasses the checksum database ({name}={value}) but policy does not list it as private", ("module", path), (name, value)));
            }
        }
    }

    private void CheckEnvironment(ConcurrentBag<Finding> findings)
    {
        var flags = (options.GoFlags ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (flags.Contains("-mod=mod"))
            findings.Add(FindingFactory.Create(GoSumCodes.EnvModMod, "GOFLAGS=-mod=mod: the go command adds missing go.sum entries silently (trust on first use); CI should build with -mod=readonly", ("GOFLAGS", options.GoFlags)));
        if (flags.Contains("-modcacherw"))
            findings.Add(FindingFactory.Create(GoSumCodes.EnvModCacheRw, "GOFLAGS=-modcacherw: the module cache is writable, so its extracted trees can change after verification", ("GOFLAGS", options.GoFlags)));
        if (flags.Any(f => f.StartsWith("-insecure", StringComparison.Ordinal)) || !string.IsNullOrWhiteSpace(options.GoInsecure))
            findings.Add(FindingFactory.Create(GoSumCodes.EnvInsecure, "GOINSECURE or -insecure: modules may be fetched without TLS (go.sum is still checked)", ("GOINSECURE", options.GoInsecure), ("GOFLAGS", options.GoFlags)));
        if (!string.IsNullOrWhiteSpace(options.GoNoSumCheck))
            findings.Add(FindingFactory.Create(GoSumCodes.EnvNoSumCheck, "GONOSUMCHECK is not a go variable and has no effect; it signals an intent to skip checksum checks", ("GONOSUMCHECK", options.GoNoSumCheck)));
    }

    private void CheckDenied(GoModFile goMod, GoSumFile goSum, ConcurrentBag<Finding> findings)
    {
        if (policy.DeniedModules.Count == 0) return;
        var denied = policy.DeniedModules.Select(d => DeniedModule.TryParse(d, out var m, out _) ? m : null).OfType<DeniedModule>().ToList();
        var used = goSum.Modules
            .Concat(goMod.Requires.Select(r => new ModuleVersion(r.Path, r.Version)))
            .Concat(goMod.Replaces.Where(r => !r.IsLocal).Select(r => new ModuleVersion(r.NewPath, r.NewVersion)))
            .Distinct();
        foreach (var module in used)
            foreach (var rule in denied.Where(d => d.Matches(module.Path, module.Version)))
                findings.Add(FindingFactory.Create(GoSumCodes.PolicyDeniedModule, $"{module} is denied by policy rule \"{rule.Text}\"",
                    ("module", module.ToString()), ("rule", rule.Text)));
    }

    private sealed class FindingComparer : IEqualityComparer<Finding>
    {
        public static FindingComparer Instance { get; } = new();

        public bool Equals(Finding? x, Finding? y) => x is not null && y is not null && x.Code == y.Code && x.Message == y.Message;

        public int GetHashCode(Finding obj) => HashCode.Combine(obj.Code, obj.Message);
    }
}
