using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Attest.GoModules;

/// <summary>One file fed to <see cref="DirHash.Hash1"/>: its name as hashed and a way to open its content.</summary>
public readonly record struct DirHashFile(string Name, Func<Stream> Open);

/// <summary>The <c>h1:</c> hash of golang.org/x/mod/sumdb/dirhash (Hash1): names sorted by UTF-8 bytes, one line
/// <c>hex(sha256(content))  name\n</c> per file, and <c>h1:</c> + base64(sha256(those lines)). Content is streamed
/// through one reused buffer; nothing is held in memory but the names.</summary>
/// <summary>Receives each file's SHA-256 as <see cref="DirHash.Hash1(IEnumerable{DirHashFile}, FileDigestSink?)"/> computes it.</summary>
public delegate void FileDigestSink(string name, ReadOnlySpan<byte> sha256);

public static class DirHash
{
    public const string Prefix = "h1:";

    /// <summary>The h1 of a module with no files: base64(SHA-256 of the empty string).</summary>
    public const string Empty = "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    /// <summary>The h1 of a zero-byte go.mod; the go command drops go.sum lines that carry it.</summary>
    public const string EmptyGoMod = "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=";

    private const int BufferSize = 1 << 17;

    /// <summary>Hash1 over the given files. Throws <see cref="ArgumentException"/> for a name containing a newline
    /// (callers check names first and report a finding), and <see cref="OperationCanceledException"/> once
    /// <paramref name="cancellationToken"/> is cancelled (checked between reads: the time bound of every walk).</summary>
    public static string Hash1(IEnumerable<DirHashFile> files, FileDigestSink? onFile = null, CancellationToken cancellationToken = default)
    {
        var sorted = files.ToArray();
        Array.Sort(sorted, static (a, b) => Utf8Order.Compare(a.Name, b.Name));
        using var summary = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var content = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            Span<byte> digest = stackalloc byte[32];
            Span<byte> hex = stackalloc byte[64];
            foreach (var file in sorted)
            {
                if (file.Name.Contains('\n', StringComparison.Ordinal))
                    throw new ArgumentException("dirhash: filenames with newlines are not supported", nameof(files));
                cancellationToken.ThrowIfCancellationRequested();
                using (var stream = file.Open())
                {
                    int read;
                    while ((read = stream.Read(buffer, 0, BufferSize)) > 0)
                    {
                        content.AppendData(buffer, 0, read);
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }
                content.GetHashAndReset(digest);
                onFile?.Invoke(file.Name, digest);
                AppendLine(summary, digest, hex, file.Name, buffer);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Prefix + Convert.ToBase64String(summary.GetHashAndReset());
    }

    /// <summary>Hash1 over one in-memory file.</summary>
    public static string Hash1(string name, ReadOnlySpan<byte> content)
    {
        Span<byte> digest = stackalloc byte[32];
        Span<byte> hex = stackalloc byte[64];
        SHA256.HashData(content, digest);
        using var summary = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(name.Length) + 4);
        try
        {
            AppendLine(summary, digest, hex, name, buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Prefix + Convert.ToBase64String(summary.GetHashAndReset());
    }

    /// <summary>Hash1 over one file whose SHA-256 is already known.</summary>
    public static string Hash1FromDigest(string name, ReadOnlySpan<byte> sha256)
    {
        Span<byte> hex = stackalloc byte[64];
        using var summary = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(name.Length) + 4);
        try
        {
            AppendLine(summary, sha256, hex, name, buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Prefix + Convert.ToBase64String(summary.GetHashAndReset());
    }

    /// <summary>The <c>/go.mod</c> hash: Hash1 over the single name <c>go.mod</c> (no prefix) with the .mod bytes.</summary>
    public static string HashGoMod(ReadOnlySpan<byte> goMod) => Hash1("go.mod", goMod);

    /// <summary>The go.mod of a module that has none, as the go command synthesizes it (<c>modfetch.LegacyGoMod</c>).</summary>
    public static byte[] LegacyGoMod(string modulePath) => Encoding.UTF8.GetBytes($"module {GoModFile.AutoQuote(modulePath)}\n");

    private static void AppendLine(IncrementalHash summary, ReadOnlySpan<byte> digest, Span<byte> hex, string name, byte[] scratch)
    {
        const string digits = "0123456789abcdef";
        for (var i = 0; i < digest.Length; i++)
        {
            hex[2 * i] = (byte)digits[digest[i] >> 4];
            hex[2 * i + 1] = (byte)digits[digest[i] & 0xF];
        }
        summary.AppendData(hex);
        summary.AppendData("  "u8);
        var needed = Encoding.UTF8.GetMaxByteCount(name.Length);
        if (needed <= scratch.Length)
        {
            var n = Encoding.UTF8.GetBytes(name, scratch);
            summary.AppendData(scratch, 0, n);
        }
        else
        {
            summary.AppendData(Encoding.UTF8.GetBytes(name));
        }
        summary.AppendData("\n"u8);
    }

    /// <summary>Whether <paramref name="text"/> has the form of an h1 hash: <c>h1:</c> + base64 of 32 bytes.</summary>
    public static bool IsWellFormedH1(string text)
    {
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length != Prefix.Length + 44) return false;
        Span<byte> bytes = stackalloc byte[33];
        return Convert.TryFromBase64String(text[Prefix.Length..], bytes, out var written) && written == 32;
    }
}
