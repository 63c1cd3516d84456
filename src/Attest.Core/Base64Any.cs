using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace Attest.Core;

/// <summary>Base64 as protobuf JSON (Go's protojson) reads it: the standard or the URL-safe alphabet, padded or not;
/// CR and LF are skipped as Go's decoder skips them. Anything else (spaces, stray characters, impossible lengths) is rejected.</summary>
public static class Base64Any
{
    private const string StandardPaddedAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

    private static readonly SearchValues<char> StandardPadded = SearchValues.Create(StandardPaddedAlphabet);

    private static readonly SearchValues<byte> StandardPaddedUtf8 = SearchValues.Create(System.Text.Encoding.ASCII.GetBytes(StandardPaddedAlphabet));

    /// <summary>
    /// The common form (standard alphabet, padded, nothing to skip) straight from UTF-8 text; false for anything else,
    /// which <see cref="TryDecode(string, out byte[])"/> then decides. Saves the UTF-16 copy of large fields.
    /// </summary>
    public static bool TryDecodeStandard(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (utf8.Length % 4 != 0 || utf8.Length == 0 || utf8.ContainsAnyExcept(StandardPaddedUtf8)) return false;
        var padding = utf8[^1] == '=' ? utf8[^2] == '=' ? 2 : 1 : 0;
        var exact = new byte[utf8.Length / 4 * 3 - padding];
        // Padding in the middle or an impossible length makes the decoder stop early: not this form.
        if (System.Buffers.Text.Base64.DecodeFromUtf8(utf8, exact, out var consumed, out var written) != OperationStatus.Done
            || consumed != utf8.Length || written != exact.Length)
        {
            return false;
        }
        bytes = exact;
        return true;
    }

    public static bool TryDecode(string text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        // Fast path, the form bundles use: standard alphabet, padded, nothing to skip. Decoded straight into an
        // exactly sized array; padding in the middle or an impossible length is left to Convert to reject.
        if (text.Length % 4 == 0 && text.Length > 0 && !text.AsSpan().ContainsAnyExcept(StandardPadded))
        {
            var padding = text[^1] == '=' ? text[^2] == '=' ? 2 : 1 : 0;
            var exact = new byte[text.Length / 4 * 3 - padding];
            if (!Convert.TryFromBase64Chars(text, exact, out var decoded) || decoded != exact.Length) return false;
            bytes = exact;
            return true;
        }
        if (text.AsSpan().IndexOfAny('\r', '\n') >= 0) text = text.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
        if (text.Length == 0) { bytes = []; return true; }
        var urlSafe = text.AsSpan().IndexOfAny('-', '_') >= 0;
        var standard = text.AsSpan().IndexOfAny('+', '/') >= 0;
        if (urlSafe && standard) return false;
        var normalized = urlSafe ? text.Replace('-', '+').Replace('_', '/') : text;
        var remainder = normalized.Length % 4;
        if (remainder == 1) return false;
        if (remainder != 0) normalized += new string('=', 4 - remainder);
        // Convert tolerates whitespace; protobuf JSON does not.
        if (normalized.AsSpan().ContainsAnyExcept(StandardPadded)) return false;
        var buffer = new byte[normalized.Length / 4 * 3];
        if (!Convert.TryFromBase64String(normalized, buffer, out var written)) return false;
        bytes = written == buffer.Length ? buffer : buffer[..written];
        return true;
    }
}
