using Attest.Core;

namespace Attest.GoModules;

/// <summary>Hashes an extracted module tree exactly as x/mod <c>dirhash.HashDir</c> does: every regular file under
/// the directory, named <c>path@version/</c> + its slash-separated relative path. Symbolic links and other
/// irregular entries are reported and not followed; the file count is capped.</summary>
public static class ModuleDirectory
{
    /// <summary>Hashes <paramref name="directory"/> as the content of <paramref name="module"/>.</summary>
    public static HashResult Hash(string directory, ModuleVersion module, GoModulesLimits? limits = null) =>
        Hash(directory, module.Path + "@" + module.Version, limits);

    /// <summary>Hashes <paramref name="directory"/> with names <c><paramref name="prefix"/>/relative/path</c>.</summary>
    public static HashResult Hash(string directory, string prefix, GoModulesLimits? limits = null)
    {
        limits ??= GoModulesLimits.Default;
        var findings = new List<Finding>();
        var files = new List<(string Name, string Rel, string FullPath, bool Empty)>();
        if (!Directory.Exists(directory))
            return HashResult.Failed([FindingFactory.Create(GoSumCodes.FileUnreadable, $"{directory}: directory does not exist", ("file", directory))]);
        try
        {
            if (!Collect(new DirectoryInfo(directory), "", prefix, limits, files, findings))
                return HashResult.Failed(findings);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            findings.Add(FindingFactory.Create(GoSumCodes.FileUnreadable, $"{directory}: {e.Message}", ("file", directory)));
            return HashResult.Failed(findings);
        }
        if (findings.Any(f => f.Code == GoSumCodes.DirNameInvalid)) return HashResult.Failed(findings);
        var digests = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var byName = files.ToDictionary(f => f.Name, f => f.Rel, StringComparer.Ordinal);
        try
        {
            var hash = DirHash.Hash1(
                files.Select(f => new DirHashFile(f.Name, () => f.Empty ? Stream.Null : OpenFile(f.FullPath, limits))),
                (name, sha) => digests[byName[name]] = sha.ToArray());
            return new HashResult(hash, findings, digests);
        }
        catch (EntryTooLargeException e)
        {
            findings.Add(FindingFactory.Create(GoSumCodes.FileTooLarge, $"{e.Entry}: file is larger than the limit of {e.Declared} bytes", ("file", e.Entry)));
            return HashResult.Failed(findings);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            findings.Add(FindingFactory.Create(GoSumCodes.FileUnreadable, $"{directory}: {e.Message}", ("file", directory)));
            return HashResult.Failed(findings);
        }
    }

    private static Stream OpenFile(string path, GoModulesLimits limits) =>
        new BoundedReadStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan), limits.MaxFileBytes, path);

    private static bool Collect(DirectoryInfo dir, string rel, string prefix, GoModulesLimits limits,
        List<(string, string, string, bool)> files, List<Finding> findings)
    {
        foreach (var entry in dir.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false, IgnoreInaccessible = false }))
        {
            var childRel = rel.Length == 0 ? entry.Name : rel + "/" + entry.Name;
            if (entry.LinkTarget is not null || entry.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                findings.Add(FindingFactory.Create(GoSumCodes.DirIrregularFile, $"{entry.FullName}: symbolic link in module directory (not followed)", ("file", entry.FullName)));
                continue;
            }
            if (entry is DirectoryInfo sub)
            {
                if (!Collect(sub, childRel, prefix, limits, files, findings)) return false;
                continue;
            }
            if (entry is not FileInfo file || !IsRegular(file))
            {
                findings.Add(FindingFactory.Create(GoSumCodes.DirIrregularFile, $"{entry.FullName}: not a regular file", ("file", entry.FullName)));
                continue;
            }
            if (childRel.Contains('\n', StringComparison.Ordinal) || childRel.Contains('\uFFFD', StringComparison.Ordinal))
            {
                findings.Add(FindingFactory.Create(GoSumCodes.DirNameInvalid, $"{entry.FullName}: file name is not valid UTF-8 or contains a newline", ("file", entry.FullName)));
                continue;
            }
            if (files.Count >= limits.MaxFilesPerModule)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.DirTooManyFiles, $"{dir.FullName}: more than {limits.MaxFilesPerModule} files", ("file", dir.FullName), ("limit", limits.MaxFilesPerModule)));
                return false;
            }
            // Zero-length entries are never opened: an empty file hashes like nothing, and a FIFO or device (which report
            // length 0) cannot block or stream forever.
            files.Add((prefix + "/" + childRel, childRel, file.FullName, file.Length == 0));
        }
        return true;
    }

    private static bool IsRegular(FileInfo file)
    {
        // Devices, sockets and pipes report as files without the Normal/Archive-ish attributes on Unix; a regular
        // file opens as a seekable stream. Checking the attribute set keeps this cheap.
        var attributes = file.Attributes;
        return !attributes.HasFlag(FileAttributes.Device) && !attributes.HasFlag(FileAttributes.Directory);
    }
}
