using System.IO.Compression;

namespace Attest.GoModules.Uploads;

/// <summary>
/// Extracts an uploaded tree (a <c>vendor</c> or module-cache zip) without trusting it: entry names must be
/// relative paths that stay inside the target (no <c>..</c>, no absolute or drive paths, no backslashes), symbolic
/// links are refused, and the bytes actually inflated (not the headers' claims) are counted against a budget shared
/// by the request, with the go.sum library's compression-ratio rule per entry. A violation is an <see cref="UploadProblem"/>:
/// too large when the upload expands beyond the budget, invalid for everything else.
/// </summary>
public sealed class ExtractionBudget
{
    private readonly long _maxBytes;
    private readonly int _maxEntries;
    private readonly int _maxCompressionRatio;
    private long _bytes;
    private int _entries;

    /// <param name="maxBytes">Most bytes all the zips extracted with this budget may inflate to together.</param>
    /// <param name="maxEntries">Most entries they may hold together.</param>
    /// <param name="maxCompressionRatio">Largest inflation ratio of one entry past its first MiB.</param>
    public ExtractionBudget(long maxBytes, int maxEntries, int maxCompressionRatio)
    {
        (_maxBytes, _maxEntries, _maxCompressionRatio) = (maxBytes, maxEntries, maxCompressionRatio);
        (_bytes, _entries) = (maxBytes, maxEntries);
    }

    public UploadProblem? Extract(string zipPath, string field, string targetDirectory)
    {
        var root = Path.GetFullPath(targetDirectory) + Path.DirectorySeparatorChar;
        if (ZipDirectory.EntryCount(zipPath) > _entries)
            return UploadProblem.Invalid($"part '{field}': the uploaded zips hold more than {_maxEntries} entries");
        ZipArchive archive;
        IReadOnlyCollection<ZipArchiveEntry> entries;
        try
        {
            archive = ZipFile.OpenRead(zipPath);
        }
        catch (InvalidDataException e)
        {
            return UploadProblem.Invalid($"part '{field}' is not a readable zip file: {e.Message}");
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
                return UploadProblem.Invalid($"part '{field}' is not a readable zip file: {e.Message}");
            }
            foreach (var entry in entries)
            {
                if (--_entries < 0)
                    return UploadProblem.Invalid($"part '{field}': the uploaded zips hold more than {_maxEntries} entries");
                var name = entry.FullName;
                if (name.Length == 0 || name.Contains('\\', StringComparison.Ordinal) || name.StartsWith('/') || name.Contains('\0', StringComparison.Ordinal)
                    || (name.Length >= 2 && name[1] == ':') || name.Split('/').Any(s => s is ".." or "."))
                    return UploadProblem.Invalid($"part '{field}': entry \"{Shorten(name)}\" is not a relative path inside the archive (zip path traversal)");
                // Unix mode in the high 16 bits of the external attributes: 0xA000 is a symbolic link.
                if (((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000)
                    return UploadProblem.Invalid($"part '{field}': entry \"{Shorten(name)}\" is a symbolic link, which uploads may not contain");
                var path = Path.GetFullPath(Path.Combine(root, name));
                if (!path.StartsWith(root, StringComparison.Ordinal))
                    return UploadProblem.Invalid($"part '{field}': entry \"{Shorten(name)}\" resolves outside the archive (zip path traversal)");
                try
                {
                    Directory.CreateDirectory(name.EndsWith('/') ? path : Path.GetDirectoryName(path)!);
                }
                catch (IOException)
                {
                    // The message would name the server's scratch directory; the cause is the archive's shape.
                    return UploadProblem.Invalid($"part '{field}': entry \"{Shorten(name)}\" cannot be extracted: a file and a directory share its path");
                }
                if (name.EndsWith('/')) continue;
                if (entry.Length > _bytes)
                    return UploadProblem.Oversized($"part '{field}' expands to more than {_maxBytes} bytes (entry \"{Shorten(name)}\" declares {entry.Length})");
                if (File.Exists(path) || Directory.Exists(path))
                    return UploadProblem.Invalid($"part '{field}': entry \"{Shorten(name)}\" is given more than once");
                UploadProblem? problem;
                try
                {
                    problem = Copy(entry, path, field);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A file where a directory already is (or the reverse): the archive is not a tree.
                    problem = UploadProblem.Invalid($"part '{field}': entry \"{Shorten(name)}\" cannot be extracted: a file and a directory share its path");
                }
                if (problem is not null) return problem;
            }
        }
        return null;
    }

    private UploadProblem? Copy(ZipArchiveEntry entry, string path, string field)
    {
        using var input = OpenEntry(entry, out var openError);
        if (input is null) return UploadProblem.Invalid($"part '{field}': entry \"{Shorten(entry.FullName)}\" cannot be read: {openError}");
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
                return UploadProblem.Invalid($"part '{field}': entry \"{Shorten(entry.FullName)}\" is corrupt: {e.Message}");
            }
            if (read == 0) break;
            written += read;
            _bytes -= read;
            if (_bytes < 0)
                return UploadProblem.Oversized($"part '{field}' expands to more than {_maxBytes} bytes (zip bomb?)");
            if (written > 1 << 20 && written > Math.Max(entry.CompressedLength, 1) * _maxCompressionRatio)
                return UploadProblem.Invalid($"part '{field}': entry \"{Shorten(entry.FullName)}\" inflates more than {_maxCompressionRatio} times its compressed size (zip bomb)");
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
