namespace Attest.GoModules;

public enum ModuleFileStatus
{
    Valid,
    Omitted,
    Invalid,
}

/// <summary>Whether one file of a module tree goes into the module zip, and why not.</summary>
public sealed record ModuleFileCheck(string Path, ModuleFileStatus Status, string? Reason = null);

/// <summary>The x/mod <c>zip</c> creation rules (<c>CheckFiles</c>, <c>CheckDir</c>, <c>CreateFromDir</c>): which
/// files of a module tree the go command puts into the module zip. Vendored packages, nested modules, VCS
/// directories and <c>.hg_archival.txt</c> are omitted; unclean or malformed paths, upper-case <c>go.mod</c>,
/// duplicates and case-insensitive collisions are invalid. The vendor rule changed in Go 1.24 (decided by the
/// module's own <c>go</c> line). Used to hash a directory as the zip built from it would hash (local replacements).</summary>
public static class ModuleFiles
{
    private static readonly string[] VcsDirectories = [".bzr", ".git", ".hg", ".svn"];

    /// <summary>Classifies relative slash-separated <paramref name="paths"/> (duplicates allowed, in order);
    /// <paramref name="goVersion"/> is the module's <c>go</c> directive, if any.</summary>
    public static IReadOnlyList<ModuleFileCheck> Check(IReadOnlyList<string> paths, string? goVersion)
    {
        var go124 = goVersion is not null && GoSumVerifier.CompareGoVersion(goVersion, "1.24") >= 0;
        var submodules = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in paths)
        {
            var slash = p.LastIndexOf('/');
            if (slash > 0 && string.Equals(p[(slash + 1)..], "go.mod", StringComparison.OrdinalIgnoreCase)) submodules.Add(p[..slash]);
        }
        var results = new List<ModuleFileCheck>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var folded = new Dictionary<string, string>(StringComparer.Ordinal);
        var directories = new HashSet<string>(StringComparer.Ordinal);
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in paths)
        {
            if (Clean(p) != p) { results.Add(new(p, ModuleFileStatus.Invalid, "file path is not clean")); continue; }
            if (p.StartsWith('/')) { results.Add(new(p, ModuleFileStatus.Invalid, "file path is not relative")); continue; }
            if (IsVendored(p, go124)) { results.Add(new(p, ModuleFileStatus.Omitted, "file is in vendor directory")); continue; }
            if (InSubmodule(p, submodules)) { results.Add(new(p, ModuleFileStatus.Omitted, "file is in another module")); continue; }
            if (p == ".hg_archival.txt") { results.Add(new(p, ModuleFileStatus.Omitted, "file is inserted by 'hg archive' and is always omitted")); continue; }
            if (ModulePath.CheckFilePath(p) is { } error) { results.Add(new(p, ModuleFileStatus.Invalid, error)); continue; }
            if (string.Equals(p, "go.mod", StringComparison.OrdinalIgnoreCase) && p != "go.mod") { results.Add(new(p, ModuleFileStatus.Invalid, "go.mod files must have lowercase names")); continue; }
            if (!seen.Add(p)) { results.Add(new(p, ModuleFileStatus.Invalid, $"multiple entries for file \"{p}\"")); continue; }
            if (directories.Contains(p)) { results.Add(new(p, ModuleFileStatus.Invalid, $"entry \"{p}\" is both a file and a directory")); continue; }
            var parents = Parents(p).ToList();
            var clash = parents.FirstOrDefault(files.Contains);
            if (clash is not null) { results.Add(new(p, ModuleFileStatus.Invalid, $"entry \"{clash}\" is both a file and a directory")); continue; }
            var collision = parents.Append(p).Select(n => folded.TryGetValue(n.ToUpperInvariant().ToLowerInvariant(), out var o) && o != n ? (o, n) : default).FirstOrDefault(c => c.o is not null);
            if (collision.o is not null) { results.Add(new(p, ModuleFileStatus.Invalid, $"case-insensitive file name collision: \"{collision.o}\" and \"{collision.n}\"")); continue; }
            foreach (var n in parents.Append(p)) folded.TryAdd(n.ToUpperInvariant().ToLowerInvariant(), n);
            directories.UnionWith(parents);
            files.Add(p);
            results.Add(new(p, ModuleFileStatus.Valid));
        }
        return results;
    }

    /// <summary>The files <c>CreateFromDir</c> would consider: regular files under <paramref name="directory"/>,
    /// skipping VCS directories and directories holding their own go.mod (nested modules), with the omitted
    /// directories listed. Symbolic links, pipes, devices and sockets are skipped as the go command skips them
    /// (never opened).</summary>
    public static (IReadOnlyList<string> Files, IReadOnlyList<ModuleFileCheck> OmittedDirectories) ListDirectory(string directory, GoModulesLimits? limits = null,
        CancellationToken cancellationToken = default)
    {
        limits ??= GoModulesLimits.Default;
        var files = new List<string>();
        var omitted = new List<ModuleFileCheck>();
        void Walk(DirectoryInfo dir, string rel)
        {
            foreach (var entry in dir.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }).OrderBy(e => e.Name, Utf8Order.Instance))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var childRel = rel.Length == 0 ? entry.Name : rel + "/" + entry.Name;
                var kind = Attest.Core.IO.RegularFile.Status(entry.FullName).Kind;
                if (kind is not (Attest.Core.IO.FileKind.Regular or Attest.Core.IO.FileKind.Directory)) continue;
                if (kind == Attest.Core.IO.FileKind.Directory && entry is DirectoryInfo sub)
                {
                    if (VcsDirectories.Contains(sub.Name)) { omitted.Add(new(childRel, ModuleFileStatus.Omitted, "directory is a version control repository")); continue; }
                    if (File.Exists(Path.Combine(sub.FullName, "go.mod"))) { omitted.Add(new(childRel, ModuleFileStatus.Omitted, "directory is in another module")); continue; }
                    Walk(sub, childRel);
                    continue;
                }
                if (entry is not FileInfo) continue;
                if (files.Count >= limits.MaxFilesPerModule) throw new IOException($"{directory}: more than {limits.MaxFilesPerModule} files");
                files.Add(childRel);
            }
        }
        Walk(new DirectoryInfo(directory), "");
        return (files, omitted);
    }

    /// <summary>The h1 of the module zip the go command would create from <paramref name="directory"/>; null with the
    /// invalid files when it would refuse to create one. Throws <see cref="IOException"/> (or
    /// <see cref="UnauthorizedAccessException"/>) when the tree cannot be read within the limits.</summary>
    public static (string? Hash, IReadOnlyList<ModuleFileCheck> Checks) HashAsZip(string directory, ModuleVersion module, GoModulesLimits? limits = null,
        CancellationToken cancellationToken = default)
    {
        limits ??= GoModulesLimits.Default;
        var (files, omittedDirectories) = ListDirectory(directory, limits, cancellationToken);
        var goModPath = Path.Combine(directory, "go.mod");
        var goVersion = File.Exists(goModPath) ? GoModFile.Load(goModPath, limits).GoVersion : null;
        var checks = Check(files, goVersion);
        var all = omittedDirectories.Concat(checks).ToList();
        if (checks.Any(c => c.Status == ModuleFileStatus.Invalid)) return (null, all);
        long total = 0;
        var hash = DirHash.Hash1(checks.Where(c => c.Status == ModuleFileStatus.Valid)
            .Select(c => new DirHashFile(module.ZipPrefix + c.Path, () =>
            {
                var path = Path.Combine(directory, c.Path);
                var stream = Attest.Core.IO.RegularFile.OpenRead(path);
                total += stream.Length;
                if (stream.Length > limits.MaxFileBytes || total > limits.MaxModuleUncompressedBytes)
                {
                    stream.Dispose();
                    throw new IOException($"{path}: the module's files are larger than the limit of {Math.Min(limits.MaxFileBytes, limits.MaxModuleUncompressedBytes)} bytes");
                }
                return new BoundedReadStream(stream, stream.Length, path);
            })), cancellationToken: cancellationToken);
        return (hash, all);
    }

    private static bool IsVendored(string name, bool go124)
    {
        if (go124) return name.StartsWith("vendor/", StringComparison.Ordinal);
        int i;
        if (name.StartsWith("vendor/", StringComparison.Ordinal)) i = "vendor/".Length;
        else if (name.Contains("/vendor/", StringComparison.Ordinal)) i = "/vendor/".Length; // sic: x/mod keeps this offset (golang.org/issue/31562)
        else return false;
        return name[i..].Contains('/', StringComparison.Ordinal);
    }

    private static bool InSubmodule(string p, HashSet<string> submodules) => Parents(p).Any(submodules.Contains);

    private static IEnumerable<string> Parents(string p)
    {
        for (var slash = p.IndexOf('/', StringComparison.Ordinal); slash >= 0; slash = p.IndexOf('/', slash + 1))
            yield return p[..slash];
    }

    /// <summary>Go's <c>path.Clean</c> for the cases that matter here: empty and dot elements, <c>..</c>, doubled and
    /// trailing slashes.</summary>
    private static string Clean(string p)
    {
        if (p.Length == 0) return ".";
        var rooted = p[0] == '/';
        var parts = new List<string>();
        foreach (var part in p.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
                else if (!rooted) parts.Add("..");
                continue;
            }
            parts.Add(part);
        }
        var cleaned = (rooted ? "/" : "") + string.Join('/', parts);
        return cleaned.Length == 0 ? "." : cleaned;
    }
}
