using System.IO.Compression;
using System.Text;
using Attest.Core;

namespace Attest.GoModules;

/// <summary>Reads a module zip safely and hashes it exactly as x/mod <c>dirhash.HashZip</c> does: every entry by its
/// stored name (directory entries as empty files), no extraction. Before any content is read the archive is
/// checked against <see cref="GoModulesLimits"/> (file size, entry count, declared sizes, compression ratio) and
/// the x/mod zip rules (prefix <c>path@version/</c>, valid file paths, no traversal, no duplicate or
/// case-colliding names, no name both file and directory, go.mod only at the root in lower case); while reading,
/// each entry is cut off at its declared size, so a lying header cannot inflate it.</summary>
public static class ModuleZip
{
    private const int UnixFileTypeMask = 0xF000;
    private const int UnixSymlink = 0xA000;

    /// <summary>Strict UTF-8 for names whose zip header does not set the UTF-8 flag; invalid bytes are an error.</summary>
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Hashes the zip at <paramref name="zipPath"/> as the content of <paramref name="module"/>.</summary>
    public static HashResult Hash(string zipPath, ModuleVersion module, GoModulesLimits? limits = null, CancellationToken cancellationToken = default)
    {
        limits ??= GoModulesLimits.Default;
        FileInfo info;
        try
        {
            info = new FileInfo(zipPath);
            if (!info.Exists) return HashResult.Failed([Unreadable(zipPath, "file does not exist")]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return HashResult.Failed([Unreadable(zipPath, e.Message)]);
        }
        if (info.Length > limits.MaxZipFileBytes)
            return HashResult.Failed([FindingFactory.Create(GoSumCodes.ZipTooLarge,
                $"{zipPath}: module zip is {info.Length} bytes, more than the limit of {limits.MaxZipFileBytes}",
                ("file", zipPath), ("size", info.Length), ("limit", limits.MaxZipFileBytes))]);
        try
        {
            using var stream = Attest.Core.IO.RegularFile.OpenRead(zipPath, 1 << 16, FileOptions.SequentialScan);
            return Hash(stream, module, limits, zipPath, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return HashResult.Failed([Unreadable(zipPath, e.Message)]);
        }
    }

    /// <summary>Hashes a module zip from a seekable stream; <paramref name="displayName"/> names it in findings.</summary>
    public static HashResult Hash(Stream zip, ModuleVersion module, GoModulesLimits? limits = null, string displayName = "module.zip",
        CancellationToken cancellationToken = default)
    {
        limits ??= GoModulesLimits.Default;
        if (zip.CanSeek && zip.Length > limits.MaxZipFileBytes)
            return HashResult.Failed([FindingFactory.Create(GoSumCodes.ZipTooLarge,
                $"{displayName}: module zip is {zip.Length} bytes, more than the limit of {limits.MaxZipFileBytes}",
                ("file", displayName), ("size", zip.Length), ("limit", limits.MaxZipFileBytes))]);
        ZipArchive archive;
        IReadOnlyList<ZipArchiveEntry> entries;
        try
        {
            archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: StrictUtf8);
            entries = archive.Entries;
        }
        catch (Exception e) when (e is InvalidDataException or DecoderFallbackException or IOException or NotSupportedException)
        {
            return HashResult.Failed([Unreadable(displayName, e is DecoderFallbackException ? "an entry name is not valid UTF-8" : e.Message)]);
        }
        using (archive)
        {
            var findings = new List<Finding>();
            if (entries.Count > limits.MaxFilesPerModule)
                return HashResult.Failed([FindingFactory.Create(GoSumCodes.ZipTooManyEntries,
                    $"{displayName}: {entries.Count} entries, more than the limit of {limits.MaxFilesPerModule}",
                    ("file", displayName), ("entries", entries.Count), ("limit", limits.MaxFilesPerModule))]);
            if (module.Check() is { } moduleError)
            {
                var code = ModulePath.CheckModulePath(module.Path) is null ? GoSumCodes.ZipVersionInvalid : GoSumCodes.ZipModulePathInvalid;
                findings.Add(FindingFactory.Create(code, $"{displayName}: {moduleError}", ("file", displayName), ("module", module.ToString())));
            }
            var safe = CheckEntries(entries, module, limits, displayName, findings);
            if (!safe) return HashResult.Failed(findings);
            return HashEntries(entries, module, limits, displayName, findings, cancellationToken);
        }
    }

    /// <summary>Checks names, sizes and kinds of all entries. Returns false when content must not be read.</summary>
    private static bool CheckEntries(IReadOnlyList<ZipArchiveEntry> entries, ModuleVersion module, GoModulesLimits limits, string zipName, List<Finding> findings)
    {
        var prefix = module.ZipPrefix;
        var safe = true;
        long total = 0;
        var exact = new HashSet<string>(StringComparer.Ordinal);
        var folded = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = new HashSet<string>(StringComparer.Ordinal);
        var directories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var name = entry.FullName;
            (string, object?)[] evidence = [("file", zipName), ("entry", name)];
            if (!exact.Add(name))
            {
                findings.Add(FindingFactory.Create(GoSumCodes.ZipDuplicate, $"{zipName}: multiple entries for file \"{name}\"", evidence));
                continue;
            }
            if (name.Contains('\n', StringComparison.Ordinal))
            {
                findings.Add(FindingFactory.Create(GoSumCodes.ZipPathInvalid, $"{zipName}: entry name contains a newline, which the h1 hash cannot represent", evidence));
                safe = false;
                continue;
            }
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                findings.Add(FindingFactory.Create(GoSumCodes.ZipPathPrefix, $"{zipName}: {name}: path does not have prefix \"{prefix}\"", evidence));
                continue;
            }
            var isDirectory = name.EndsWith('/');
            var rel = name[prefix.Length..];
            if (isDirectory)
            {
                rel = rel.TrimEnd('/');
                findings.Add(FindingFactory.Create(GoSumCodes.ZipDirectoryEntry,
                    $"{zipName}: directory entry \"{name}\" is hashed as an empty file by the go command, so the extracted directory will not match the zip hash", evidence));
                if (rel.Length == 0) continue;
            }
            if (IsTraversal(rel))
            {
                findings.Add(FindingFactory.Create(GoSumCodes.ZipPathTraversal, $"{zipName}: entry \"{name}\" escapes the module directory", evidence));
                safe = false;
                continue;
            }
            if (ModulePath.CheckFilePath(rel) is { } pathError)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.ZipPathInvalid, $"{zipName}: {pathError}", evidence));
                continue;
            }
            if (isDirectory) directories.Add(rel);
            else files.Add(rel);
            for (var slash = rel.IndexOf('/', StringComparison.Ordinal); slash >= 0; slash = rel.IndexOf('/', slash + 1))
                directories.Add(rel[..slash]);

            var baseName = rel[(rel.LastIndexOf('/') + 1)..];
            if (!isDirectory && string.Equals(baseName, "go.mod", StringComparison.OrdinalIgnoreCase))
            {
                if (rel.Contains('/', StringComparison.Ordinal))
                    findings.Add(FindingFactory.Create(GoSumCodes.ZipGoModNotRoot, $"{zipName}: go.mod file not in module root directory: \"{rel}\"", evidence));
                else if (rel != "go.mod")
                    findings.Add(FindingFactory.Create(GoSumCodes.ZipGoModCase, $"{zipName}: go.mod files must have lowercase names: \"{rel}\"", evidence));
            }

            var unixMode = (entry.ExternalAttributes >> 16) & UnixFileTypeMask;
            if (unixMode == UnixSymlink)
                findings.Add(FindingFactory.Create(GoSumCodes.ZipSymlink, $"{zipName}: entry \"{name}\" is a symbolic link", evidence));

            var size = entry.Length;
            var sizeLimit = rel is "go.mod" or "LICENSE" ? limits.MaxGoModOrLicenseInZipBytes : limits.MaxFileBytes;
            if (size > sizeLimit)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.ZipBomb, $"{zipName}: entry \"{name}\" declares {size} bytes, more than the limit of {sizeLimit}",
                    [.. evidence, ("size", size), ("limit", sizeLimit)]));
                safe = false;
            }
            if (size > (1 << 20) && entry.CompressedLength > 0 && size / entry.CompressedLength > limits.MaxCompressionRatio)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.ZipBomb,
                    $"{zipName}: entry \"{name}\" expands {size / entry.CompressedLength}-fold, more than the limit of {limits.MaxCompressionRatio}",
                    [.. evidence, ("size", size), ("compressed", entry.CompressedLength)]));
                safe = false;
            }
            total += size;
        }
        // Case-insensitive collisions among files and the directories they imply (x/mod: "x/y" and "x/Y").
        foreach (var name in files.Concat(directories).Order(StringComparer.Ordinal))
        {
            var fold = name.ToUpperInvariant().ToLowerInvariant();
            if (folded.TryGetValue(fold, out var other) && other != name)
                findings.Add(FindingFactory.Create(GoSumCodes.ZipCaseCollision,
                    $"{zipName}: case-insensitive file name collision: \"{other}\" and \"{name}\"", ("file", zipName), ("entry", prefix + name), ("other", other)));
            else
                folded.TryAdd(fold, name);
        }
        foreach (var file in files)
            if (directories.Contains(file))
                findings.Add(FindingFactory.Create(GoSumCodes.ZipFileAndDirectory, $"{zipName}: entry \"{file}\" is both a file and a directory",
                    ("file", zipName), ("entry", prefix + file)));
        if (total > limits.MaxModuleUncompressedBytes)
        {
            findings.Add(FindingFactory.Create(GoSumCodes.ZipBomb,
                $"{zipName}: entries declare {total} uncompressed bytes in total, more than the limit of {limits.MaxModuleUncompressedBytes}",
                ("file", zipName), ("size", total), ("limit", limits.MaxModuleUncompressedBytes)));
            safe = false;
        }
        return safe;
    }

    private static bool IsTraversal(string rel) =>
        rel.StartsWith('/') || rel.Contains('\\', StringComparison.Ordinal) || rel.Contains(':', StringComparison.Ordinal)
        || rel.Split('/').Any(e => e == "..");

    private static HashResult HashEntries(IReadOnlyList<ZipArchiveEntry> entries, ModuleVersion module, GoModulesLimits limits, string zipName, List<Finding> findings,
        CancellationToken cancellationToken)
    {
        // Like HashZip: every stored name; for a repeated name the last entry is what opening it yields.
        var byName = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var entry in entries) byName[entry.FullName] = entry;
        var prefix = module.ZipPrefix;
        var digests = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var inputs = entries.Select(e => new DirHashFile(e.FullName, () => OpenBounded(byName[e.FullName], limits)));
        try
        {
            var hash = DirHash.Hash1(inputs, (name, sha) =>
            {
                if (name.StartsWith(prefix, StringComparison.Ordinal) && !name.EndsWith('/')) digests[name[prefix.Length..]] = sha.ToArray();
            }, cancellationToken);
            return new HashResult(hash, findings, digests);
        }
        catch (EntryTooLargeException e)
        {
            findings.Add(FindingFactory.Create(GoSumCodes.ZipBomb, $"{zipName}: entry \"{e.Entry}\" holds more bytes than its header declares ({e.Declared})",
                ("file", zipName), ("entry", e.Entry), ("declared", e.Declared)));
            return HashResult.Failed(findings);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            findings.Add(Unreadable(zipName, e.Message));
            return HashResult.Failed(findings);
        }
    }

    private static Stream OpenBounded(ZipArchiveEntry entry, GoModulesLimits limits) =>
        new BoundedReadStream(entry.Open(), Math.Min(entry.Length, limits.MaxFileBytes), entry.FullName);

    private static Finding Unreadable(string file, string reason) =>
        FindingFactory.Create(GoSumCodes.ZipUnreadable, $"{file}: cannot read module zip: {reason}", ("file", file));

    /// <summary>Reads the root go.mod of a module zip (bounded), or null when the zip has none or cannot be read.</summary>
    public static byte[]? ReadGoMod(string zipPath, ModuleVersion module, GoModulesLimits? limits = null)
    {
        try
        {
            using var file = Attest.Core.IO.RegularFile.OpenRead(zipPath);
            return ReadGoMod(file, module, limits, out _);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads the root go.mod of a module zip from a stream (bounded, left open): null when the zip has none;
    /// <paramref name="error"/> says why when it has one that cannot be read.</summary>
    public static byte[]? ReadGoMod(Stream zip, ModuleVersion module, GoModulesLimits? limits, out string? error)
    {
        ArgumentNullException.ThrowIfNull(module);
        limits ??= GoModulesLimits.Default;
        error = null;
        try
        {
            using var archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: StrictUtf8);
            var entry = archive.Entries.LastOrDefault(e => e.FullName == module.ZipPrefix + "go.mod");
            if (entry is null) return null;
            if (entry.Length > limits.MaxGoModOrLicenseInZipBytes)
            {
                error = $"go.mod declares {entry.Length} bytes, more than the limit of {limits.MaxGoModOrLicenseInZipBytes}";
                return null;
            }
            using var stream = OpenBounded(entry, limits);
            using var buffer = new MemoryStream((int)entry.Length);
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or DecoderFallbackException or NotSupportedException)
        {
            error = e.Message;
            return null;
        }
    }
}

/// <summary>Raised inside the zip reader when an entry inflates past its declared size; caught at the edge.</summary>
internal sealed class EntryTooLargeException(string entry, long declared) : IOException($"entry {entry} exceeds {declared} bytes")
{
    public string Entry { get; } = entry;
    public long Declared { get; } = declared;
}

/// <summary>A read-only stream that fails once more than <c>limit</c> bytes come out of the inner stream.</summary>
internal sealed class BoundedReadStream(Stream inner, long limit, string name) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        _read += n;
        if (_read > limit) throw new EntryTooLargeException(name, limit);
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
