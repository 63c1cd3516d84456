using System.Text;

namespace Attest.GoModules;

/// <summary>Bounded reading of small line-oriented text files (go.sum, go.mod, modules.txt).</summary>
internal static class TextLines
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads a file of at most <paramref name="maxBytes"/>; null with a reason when it cannot be used.</summary>
    public static byte[]? ReadBounded(string path, long maxBytes, out string? error)
    {
        error = null;
        try
        {
            // Regular files only: a named pipe would block the open, a device would stream forever.
            using var stream = Attest.Core.IO.RegularFile.OpenRead(path);
            if (stream.Length > maxBytes)
            {
                error = $"file is {stream.Length} bytes, more than the limit of {maxBytes}";
                return null;
            }
            var buffer = new byte[stream.Length];
            stream.ReadExactly(buffer);
            return buffer;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>Decodes strict UTF-8 (no BOM stripping); null when the bytes are not UTF-8.</summary>
    public static string? Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Splits on LF, keeping 1-based line numbers; a trailing CR stays on the line for the caller to judge.</summary>
    public static IEnumerable<(int Number, string Text)> Split(string text)
    {
        var number = 0;
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0) end = text.Length;
            number++;
            yield return (number, text[start..end]);
            start = end + 1;
        }
    }
}
