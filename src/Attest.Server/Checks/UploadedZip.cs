using System.Buffers.Binary;
using System.IO.Compression;
using Attest.Server.Api;

namespace Attest.Server.Checks;

/// <summary>
/// Extracts an uploaded tree (<c>vendor</c> or <c>modcache</c> zip) without trusting it: entry names must be
/// relative paths that stay inside the target (no <c>..</c>, no absolute or drive paths, no backslashes), symbolic
/// links are refused, and the bytes actually inflated (not the headers' claims) are counted against a budget shared
/// by the request, with the go.sum library's compression-ratio rule per entry. A violation is a problem response:
/// 413 when the upload expands beyond the budget, 400 for everything else.
/// </summary>
public sealed class ExtractionBudget
{
    private long _bytes = CheckLimits.MaxExtractedBytes;
    private int _entries = CheckLimits.MaxExtractedEntries;

    public IResult? Extract(string zipPath, string field, string targetDirectory)
    {
        var root = Path.GetFullPath(targetDirectory) + Path.DirectorySeparatorChar;
        if (ZipDirectory.EntryCount(zipPath) > _entries)
            return MultipartUpload.Invalid($"part '{field}': the uploaded zips hold more than {CheckLimits.MaxExtractedEntries} entries");
        ZipArchive archive;
        IReadOnlyCollection<ZipArchiveEntry> entries;
        try
        {
            archive = ZipFile.OpenRead(zipPath);
        }
        catch (InvalidDataException e)
        {
            return MultipartUpload.Invalid($"part '{field}' is not a readable zip file: {e.Message}");
        }
        using (archive)
        {
            try
            {
                // The central directory is read here, not when the archive is opened: an end record that miscounts
                // the entries (or any other directory damage) is found now.
                entries = archive.Entries;
            }
            catch (InvalidDataException e)
            {
                return MultipartUpload.Invalid($"part '{field}' is not a readable zip file: {e.Message}");
            }
            foreach (var entry in entries)
            {
                if (--_entries < 0)
                    return MultipartUpload.Invalid($"part '{field}': the uploaded zips hold more than {CheckLimits.MaxExtractedEntries} entries");
                var name = entry.FullName;
                if (name.Length == 0 || name.Contains('\\', StringComparison.Ordinal) || name.StartsWith('/') || name.Contains('\0', StringComparison.Ordinal)
                    || (name.Length >= 2 && name[1] == ':') || name.Split('/').Any(s => s is ".." or "."))
                    return MultipartUpload.Invalid($"part '{field}': entry \"{Shorten(name)}\" is not a relative path inside the archive (zip path traversal)");
                // Unix mode in the high 16 bits of the external attributes: 0xA000 is a symbolic link.
                if (((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000)
                    return MultipartUpload.Invalid($"part '{field}': entry \"{Shorten(name)}\" is a symbolic link, which uploads may not contain");
                var path = Path.GetFullPath(Path.Combine(root, name));
                if (!path.StartsWith(root, StringComparison.Ordinal))
                    return MultipartUpload.Invalid($"part '{field}': entry \"{Shorten(name)}\" resolves outside the archive (zip path traversal)");
                try
                {
                    Directory.CreateDirectory(name.EndsWith('/') ? path : Path.GetDirectoryName(path)!);
                }
                catch (IOException)
                {
                    // The message would name the server's scratch directory; the cause is the archive's shape.
                    return MultipartUpload.Invalid($"part '{field}': entry \"{Shorten(name)}\" cannot be extracted: a file and a directory share its path");
                }
                if (name.EndsWith('/')) continue;
                if (entry.Length > _bytes)
                    return MultipartUpload.TooLarge($"part '{field}' expands to more than {CheckLimits.MaxExtractedBytes} bytes (entry \"{Shorten(name)}\" declares {entry.Length})");
                if (File.Exists(path) || Directory.Exists(path))
                    return MultipartUpload.Invalid($"part '{field}': entry \"{Shorten(name)}\" is given more than once");
                IResult? problem;
                try
                {
                    problem = Copy(entry, path, field);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A file where a directory already is (or the reverse): the archive is not a tree.
                    problem = MultipartUpload.Invalid($"part '{field}': entry \"{Shorten(name)}\" cannot be extracted: a file and a directory share its path");
                }
                if (problem is not null) return problem;
            }
        }
        return null;
    }

    private IResult? Copy(ZipArchiveEntry entry, string path, string field)
    {
        using var input = OpenEntry(entry, out var openError);
        if (input is null) return MultipartUpload.Invalid($"part '{field}': entry \"{Shorten(entry.FullName)}\" cannot be read: {openError}");
        using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        var buffer = new byte[64 * 1024];
        long written = 0;
        while (true)
        {
            int read;
            try
            {
                read = input.Read(buffer, 0, buffer.Length);
            }
            catch (InvalidDataException e)
            {
                return MultipartUpload.Invalid($"part '{field}': entry \"{Shorten(entry.FullName)}\" is corrupt: {e.Message}");
            }
            if (read == 0) break;
            written += read;
            _bytes -= read;
            if (_bytes < 0)
                return MultipartUpload.TooLarge($"part '{field}' expands to more than {CheckLimits.MaxExtractedBytes} bytes (zip bomb?)");
            if (written > 1 << 20 && written > Math.Max(entry.CompressedLength, 1) * CheckLimits.MaxCompressionRatio)
                return MultipartUpload.Invalid($"part '{field}': entry \"{Shorten(entry.FullName)}\" inflates more than {CheckLimits.MaxCompressionRatio} times its compressed size (zip bomb)");
            output.Write(buffer, 0, read);
        }
        return null;
    }

    private static Stream? OpenEntry(ZipArchiveEntry entry, out string? error)
    {
        error = null;
        try
        {
            return entry.Open();
        }
        catch (InvalidDataException e)
        {
            error = e.Message;
            return null;
        }
        catch (NotSupportedException e)
        {
            error = e.Message;
            return null;
        }
    }

    private static string Shorten(string s) => s.Length <= 200 ? s : s[..200] + "…";
}

/// <summary>Where a module zip uploaded on its own belongs in a module cache: its entries all start with
/// <c>path@version/</c> (x/mod's zip format), so the first entry names the module.</summary>
public static class ModuleZipUpload
{
    public static (GoModules.ModuleVersion? Module, string? Error) Identify(string zipPath)
    {
        if (ZipDirectory.EntryCount(zipPath) > GoModules.GoModulesLimits.Default.MaxFilesPerModule)
            return (null, $"it holds more than {GoModules.GoModulesLimits.Default.MaxFilesPerModule} entries");
        try
        {
            using var archive = ZipFile.OpenRead(zipPath);
            var first = archive.Entries.FirstOrDefault()?.FullName;
            if (first is null) return (null, "it is empty");
            var at = first.IndexOf('@', StringComparison.Ordinal);
            var slash = at < 0 ? -1 : first.IndexOf('/', at);
            if (slash < 0 || !GoModules.ModuleVersion.TryParse(first[..slash], out var module) || module is null)
                return (null, "its first entry does not start with a module path@version/ prefix, as module zips do");
            return module.Check() is { } invalid ? (null, $"it names {module}: {invalid}") : (module, null);
        }
        catch (InvalidDataException e)
        {
            return (null, $"it is not a readable zip file: {e.Message}");
        }
    }
}

/// <summary>Reads a zip's entry count from its end-of-central-directory record (zip64 too) without opening the
/// archive: <see cref="ZipArchive"/> materializes every central-directory entry, so a small upload declaring millions
/// of entries must be refused before it is opened.</summary>
public static class ZipDirectory
{
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;

    /// <summary>The declared number of entries, or 0 when no end record is found (the archive reader then reports
    /// the file as unreadable).</summary>
    public static long EntryCount(string path)
    {
        using var file = File.OpenRead(path);
        // The end record is 22 bytes plus a comment of at most 65,535 bytes.
        var tailLength = (int)Math.Min(file.Length, 22 + 65535);
        var tail = new byte[tailLength];
        file.Seek(-tailLength, SeekOrigin.End);
        file.ReadExactly(tail);
        for (var at = tailLength - 22; at >= 0; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at)) != EndSignature) continue;
            long count = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(at + 10));
            if (count != 0xFFFF || at < 20 || BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at - 20)) != Zip64LocatorSignature) return count;
            var zip64End = BinaryPrimitives.ReadInt64LittleEndian(tail.AsSpan(at - 20 + 8));
            if (zip64End < 0 || zip64End > file.Length - 56) return long.MaxValue;
            var record = new byte[56];
            file.Seek(zip64End, SeekOrigin.Begin);
            file.ReadExactly(record);
            return BinaryPrimitives.ReadUInt32LittleEndian(record) == Zip64EndSignature ? (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32)), long.MaxValue) : long.MaxValue;
        }
        return 0;
    }
}
