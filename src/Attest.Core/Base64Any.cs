using System.Diagnostics.CodeAnalysis;

namespace Attest.Core;

/// <summary>Base64 as protobuf JSON (Go's protojson) reads it: the standard or the URL-safe alphabet, padded or not;
/// CR and LF are skipped as Go's decoder skips them. Anything else (spaces, stray characters, impossible lengths) is rejected.</summary>
public static class Base64Any
{
    public static bool TryDecode(string text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text.AsSpan().IndexOfAny('\r', '\n') >= 0) text = text.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
        if (text.Length == 0) { bytes = []; return true; }
        var urlSafe = text.AsSpan().IndexOfAny('-', '_') >= 0;
        var standard = text.AsSpan().IndexOfAny('+', '/') >= 0;
        if (urlSafe && standard) return false;
        var normalized = urlSafe ? text.Replace('-', '+').Replace('_', '/') : text;
        var remainder = normalized.Length % 4;
        if (remainder == 1) return false;
        if (remainder != 0) normalized += new string('=', 4 - remainder);
        var buffer = new byte[normalized.Length / 4 * 3];
        if (!Convert.TryFromBase64String(normalized, buffer, out var written)) return false;
        // Convert tolerates whitespace; protobuf JSON does not.
        foreach (var c in normalized)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=')) return false;
        bytes = written == buffer.Length ? buffer : buffer[..written];
        return true;
    }
}
