namespace Attest.GoModules.Uploads;

/// <summary>The files of a go.sum check upload, on disk, named as the upload names its parts: the main module's
/// <c>go.mod</c> and <c>go.sum</c>, a <c>vendor</c> zip and/or a <c>modules.txt</c>, a <c>modcache</c> zip (the
/// contents of GOMODCACHE) and any number of <c>module</c> zips.</summary>
public sealed record ModuleTreeParts(
    string GoMod, string? GoSum, string? VendorZip, string? ModulesTxt, string? ModuleCacheZip, IReadOnlyList<string> ModuleZips);

/// <summary>An upload laid out as <see cref="GoSumVerifier"/> reads a checkout: the main module's directory (with its
/// vendor tree) and a module cache.</summary>
public sealed record ModuleTree(string MainDirectory, string ModuleCache, string GoModPath, string GoSumPath, bool Vendored);

/// <summary>
/// Lays an uploaded module tree out under a scratch directory: the parts are moved (not copied) into place, the zips
/// extracted within one <see cref="ExtractionBudget"/>, and each module zip put where the go command's cache keeps it
/// (found by its own first entry). An upload that could only verify nothing — a vendor zip of the directory rather
/// than its contents, a module cache without <c>cache/download</c> — or that gives a file twice is refused with a
/// sentence that says how to build it.
/// </summary>
public static class ModuleTreeUpload
{
    public static (ModuleTree? Tree, UploadProblem? Problem) Stage(string root, ModuleTreeParts parts, ExtractionBudget budget)
    {
        var main = Path.Combine(root, "main");
        var cache = Path.Combine(root, "modcache");
        Directory.CreateDirectory(main);
        Directory.CreateDirectory(cache);
        var goModPath = Path.Combine(main, "go.mod");
        File.Move(parts.GoMod, goModPath);
        var goSumPath = Path.Combine(main, "go.sum");
        if (parts.GoSum is { } goSum) File.Move(goSum, goSumPath);

        var vendored = false;
        if (parts.VendorZip is { } vendorZip)
        {
            if (budget.Extract(vendorZip, "vendor", Path.Combine(main, "vendor")) is { } bad) return (null, bad);
            vendored = true;
        }
        if (parts.ModulesTxt is { } modulesTxt)
        {
            var target = Path.Combine(main, "vendor", "modules.txt");
            if (File.Exists(target)) return (null, UploadProblem.Invalid("'modules.txt' is given both as a part and inside 'vendor'; give one"));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(modulesTxt, target);
            vendored = true;
        }
        // A zip of the directory itself rather than its contents would silently verify nothing: say so.
        if (vendored && !File.Exists(Path.Combine(main, "vendor", "modules.txt")))
            return (null, UploadProblem.Invalid("'vendor' has no modules.txt at its root: zip the contents of the vendor directory (modules.txt, example.com/…)"));
        if (parts.ModuleCacheZip is { } cacheZip)
        {
            if (budget.Extract(cacheZip, "modcache", cache) is { } badCache) return (null, badCache);
            if (!Directory.Exists(Path.Combine(cache, "cache", "download")))
                return (null, UploadProblem.Invalid("'modcache' has no cache/download directory at its root: zip the contents of GOMODCACHE"));
        }
        foreach (var moduleZip in parts.ModuleZips)
        {
            var (module, error) = ModuleZipIdentity.Identify(moduleZip);
            if (module is null) return (null, UploadProblem.Invalid($"a 'module' part is not a module zip: {error}"));
            var target = Path.Combine(cache, "cache", "download", ModulePath.Escape(module.Path)!, "@v", ModulePath.EscapeVersion(module.Version)! + ".zip");
            if (File.Exists(target)) return (null, UploadProblem.Invalid($"the module zip of {module} is given more than once"));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(moduleZip, target);
        }
        return (new ModuleTree(main, cache, goModPath, goSumPath, vendored), null);
    }
}
