using Attest.Core;
using Attest.Core.IO;

namespace Attest.GoModules;

/// <summary>Hashes an extracted module tree exactly as x/mod <c>dirhash.HashDir</c> does: every regular file under
/// the directory, named <c>path@version/</c> + its slash-separated relative path. Symbolic links, pipes, devices and
/// sockets are reported and never opened; the file count, each file's bytes and the module's total bytes are capped,
/// and the walk stops when <c>cancellationToken</c> is cancelled.</summary>
public static class ModuleDirectory
{
    /// <summary>Hashes <paramref name="directory"/> as the content of <paramref name="module"/>.</summary>
    public static HashResult Hash(string directory, ModuleVersion module, GoModulesLimits? limits = null, CancellationToken cancellationToken = default) =>
        Hash(directory, module.Path + "@" + module.Version, limits, cancellationToken);

    /// <summary>Hashes <paramref name="directory"/> with names <c><paramref name="prefix"/>/relative/path</c>.</summary>
    public static HashResult Hash(string directory, string prefix, GoModulesLimits? limits = null, CancellationToken cancellationToken = default)
    {
        limits ??= GoModulesLimits.Default;
        var findings = new List<Finding>();
        var files = new List<(string Name, string Rel, string FullPath, long Size)>();
        if (!Directory.Exists(directory))
            return HashResult.Failed([FindingFactory.Create(GoSumCodes.FileUnreadable, $"{directory}: directory does not exist", ("file", directory))]);
        try
        {
            if (!Collect(new DirectoryInfo(directory), "", prefix, limits, files, findings, cancellationToken))
                return HashResult.Failed(findings);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            findings.Add(FindingFactory.Create(GoSumCodes.FileUnreadable, $"{directory}: {e.Message}", ("file", directory)));
            return HashResult.Failed(findings);
        }
        if (findings.Any(f => f.Code == GoSumCodes.DirNameInvalid)) return HashResult.Failed(findings);
        var total = files.Sum(f => f.Size);
        if (total > limits.MaxModuleUncompressedBytes)
        {
            findings.Add(FindingFactory.Create(GoSumCodes.FileTooLarge, $"{directory}: files hold {total} bytes in total, more than the limit of {limits.MaxModuleUncompressedBytes}",
                ("file", directory), ("size", total), ("limit", limits.MaxModuleUncompressedBytes)));
            return HashResult.Failed(findings);
        }
        var digests = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var byName = files.ToDictionary(f => f.Name, f => f.Rel, StringComparer.Ordinal);
        try
        {
            var hash = DirHash.Hash1(
                files.Select(f => new DirHashFile(f.Name, () => f.Size == 0 ? Stream.Null : OpenFile(f.FullPath, f.Size, limits))),
                (name, sha) => digests[byName[name]] = sha.ToArray(), cancellationToken);
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

    /// <summary>Regular files only, read no further than the size they had when listed (nor past the per-file limit).</summary>
    private static Stream OpenFile(string path, long listedSize, GoModulesLimits limits) =>
        new BoundedReadStream(RegularFile.OpenRead(path, 1, FileOptions.SequentialScan), Math.Min(listedSize, limits.MaxFileBytes), path);

    private static bool Collect(DirectoryInfo dir, string rel, string prefix, GoModulesLimits limits,
        List<(string, string, string, long)> files, List<Finding> findings, CancellationToken cancellationToken)
    {
        foreach (var entry in dir.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false, IgnoreInaccessible = false }))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var childRel = rel.Length == 0 ? entry.Name : rel + "/" + entry.Name;
            var status = RegularFile.Status(entry.FullName);
            if (status.Kind == FileKind.SymbolicLink)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.DirIrregularFile, $"{entry.FullName}: symbolic link in module directory (not followed)", ("file", entry.FullName)));
                continue;
            }
            if (status.Kind == FileKind.Directory && entry is DirectoryInfo sub)
            {
                if (!Collect(sub, childRel, prefix, limits, files, findings, cancellationToken)) return false;
                continue;
            }
            if (!status.IsRegular)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.DirIrregularFile, $"{entry.FullName}: not a regular file ({IrregularFileException.Describe(status.Kind)})", ("file", entry.FullName)));
                continue;
            }
            if (status.Size > limits.MaxFileBytes)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.FileTooLarge, $"{entry.FullName}: file is larger than the limit of {limits.MaxFileBytes} bytes", ("file", entry.FullName)));
                return false;
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
            files.Add((prefix + "/" + childRel, childRel, entry.FullName, status.Size));
        }
        return true;
    }
}
