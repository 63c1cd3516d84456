using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace Attest.Core.Json;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): object members sorted by their names' UTF-16 code units (§3.2.3),
/// strings with the minimal escapes of §3.2.2.2, numbers as ECMAScript <c>Number.prototype.toString</c> (§3.2.2.3),
/// no whitespace. Input is read with a depth limit and duplicate member names are rejected (I-JSON, RFC 7493 §2.3).
/// </summary>
public static class CanonicalJson
{
    public const int DefaultMaxDepth = 64;

    /// <summary>Canonicalises a JSON text; throws <see cref="FormatException"/> for input JCS cannot represent.</summary>
    public static byte[] Canonicalize(ReadOnlySpan<byte> json, int maxDepth = DefaultMaxDepth)
    {
        using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = maxDepth });
        return Canonicalize(document.RootElement);
    }

    public static bool TryCanonicalize(ReadOnlySpan<byte> json, [NotNullWhen(true)] out byte[]? canonical, [NotNullWhen(false)] out string? error, int maxDepth = DefaultMaxDepth)
    {
        try
        {
            canonical = Canonicalize(json, maxDepth);
            error = null;
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            canonical = null;
            error = e.Message;
            return false;
        }
    }

    public static byte[] Canonicalize(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteCanonical(element, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the canonical form of <paramref name="element"/> to <paramref name="output"/>; throws
    /// <see cref="FormatException"/> (having written part of it) for input JCS cannot represent.</summary>
    public static void WriteCanonical(JsonElement element, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        try
        {
            Write(element, output);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json refuses to unescape a lone surrogate (\ud800) or to transcode invalid UTF-8; JCS has no
            // form for either.
            throw new FormatException($"string contains a lone surrogate or invalid UTF-8 ({e.Message})", e);
        }
    }

    // Strings and names are copied from the document's own UTF-8 where that already is their canonical form (no escape
    // in the source, valid UTF-8), rather than decoded to UTF-16 and encoded back: this runs for every ledger entry.
    private static void Write(JsonElement element, IBufferWriter<byte> output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(element, output);
                break;
            case JsonValueKind.Array:
                output.Write("["u8);
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first) output.Write(","u8);
                    first = false;
                    Write(item, output);
                }
                output.Write("]"u8);
                break;
            case JsonValueKind.String:
                var raw = JsonMarshal.GetRawUtf8Value(element); // the token, quotes included
                if (raw.IndexOf((byte)'\\') < 0 && Utf8.IsValid(raw)) output.Write(raw);
                else WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                WriteNumber(JsonMarshal.GetRawUtf8Value(element), output);
                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            case JsonValueKind.Null:
                output.Write("null"u8);
                break;
            default:
                throw new FormatException($"unexpected JSON value kind {element.ValueKind}");
        }
    }

    private static void WriteObject(JsonElement element, IBufferWriter<byte> output)
    {
        var count = element.GetPropertyCount();
        var members = ArrayPool<JsonProperty>.Shared.Rent(Math.Max(count, 1));
        try
        {
            var n = 0;
            var plainNames = true;
            foreach (var property in element.EnumerateObject())
            {
                members[n++] = property;
                plainNames &= IsPlainAscii(JsonMarshal.GetRawUtf8PropertyName(property));
            }
            if (!plainNames)
            {
                WriteObjectDecoded(members.AsSpan(0, n), output);
                return;
            }
            // Names of printable ASCII without escapes: their UTF-8 bytes are their canonical form, and byte order is
            // UTF-16 code-unit order.
            var sorted = members.AsSpan(0, n);
            sorted.Sort(static (a, b) => JsonMarshal.GetRawUtf8PropertyName(a).SequenceCompareTo(JsonMarshal.GetRawUtf8PropertyName(b)));
            output.Write("{"u8);
            for (var i = 0; i < sorted.Length; i++)
            {
                var name = JsonMarshal.GetRawUtf8PropertyName(sorted[i]);
                if (i > 0)
                {
                    if (name.SequenceEqual(JsonMarshal.GetRawUtf8PropertyName(sorted[i - 1])))
                        throw new FormatException($"duplicate member name '{Encoding.ASCII.GetString(name)}'");
                    output.Write(","u8);
                }
                output.Write("\""u8);
                output.Write(name);
                output.Write("\":"u8);
                Write(sorted[i].Value, output);
            }
            output.Write("}"u8);
        }
        finally
        {
            members.AsSpan(0, count).Clear();
            ArrayPool<JsonProperty>.Shared.Return(members);
        }
    }

    /// <summary>An object with an escaped or non-ASCII member name: names decoded, sorted by UTF-16 code units (§3.2.3).</summary>
    private static void WriteObjectDecoded(ReadOnlySpan<JsonProperty> properties, IBufferWriter<byte> output)
    {
        var members = new (string Name, JsonElement Value)[properties.Length];
        for (var i = 0; i < properties.Length; i++) members[i] = (properties[i].Name, properties[i].Value);
        Array.Sort(members, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        output.Write("{"u8);
        for (var i = 0; i < members.Length; i++)
        {
            if (i > 0)
            {
                if (members[i - 1].Name == members[i].Name) throw new FormatException($"duplicate member name '{members[i].Name}'");
                output.Write(","u8);
            }
            WriteString(members[i].Name, output);
            output.Write(":"u8);
            Write(members[i].Value, output);
        }
        output.Write("}"u8);
    }

    private static bool IsPlainAscii(ReadOnlySpan<byte> name) => !name.ContainsAnyExceptInRange((byte)0x20, (byte)0x7e) && name.IndexOf((byte)'\\') < 0;

    /// <summary>A JSON integer of up to 15 digits is exactly a double and ECMAScript prints it as written (but -0 as 0);
    /// anything else goes through <see cref="FormatNumber"/>.</summary>
    private static void WriteNumber(ReadOnlySpan<byte> raw, IBufferWriter<byte> output)
    {
        var digits = raw.Length > 0 && raw[0] == (byte)'-' ? raw[1..] : raw;
        if (digits.Length is > 0 and <= 15 && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            output.Write(digits.SequenceEqual("0"u8) ? digits : raw);
            return;
        }
        var value = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
        Encoding.UTF8.GetBytes(FormatNumber(value), output);
    }

    /// <summary>What §3.2.2.2 escapes: the quote, the backslash and the C0 controls U+0000–U+001F.</summary>
    private static readonly SearchValues<char> Escaped = SearchValues.Create(['"', '\\', .. Enumerable.Range(0, 0x20).Select(c => (char)c)]);

    /// <summary>RFC 8785 §3.2.2.2: escape <c>"</c>, <c>\</c> and C0 controls (short forms where they exist), nothing else.</summary>
    public static void WriteString(string value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(output);
        output.Write("\""u8);
        var rest = value.AsSpan();
        while (true)
        {
            var stop = rest.IndexOfAny(Escaped);
            WriteUtf8(stop < 0 ? rest : rest[..stop], output);
            if (stop < 0) break;
            output.Write(rest[stop] switch
            {
                '"' => "\\\""u8,
                '\\' => "\\\\"u8,
                '\b' => "\\b"u8,
                '\t' => "\\t"u8,
                '\n' => "\\n"u8,
                '\f' => "\\f"u8,
                '\r' => "\\r"u8,
                _ => ControlEscape(rest[stop]),
            });
            rest = rest[(stop + 1)..];
        }
        output.Write("\""u8);
    }

    private static byte[] ControlEscape(char c) => Encoding.ASCII.GetBytes($"\\u{(int)c:x4}");

    /// <summary>UTF-16 to UTF-8, refusing a lone surrogate (which UTF-8 cannot carry) instead of replacing it.</summary>
    private static void WriteUtf8(ReadOnlySpan<char> text, IBufferWriter<byte> output)
    {
        while (!text.IsEmpty)
        {
            // Room for the ASCII case at once (at least one scalar of up to four bytes, so every round progresses);
            // longer encodings take more rounds rather than reserving three bytes per character.
            var destination = output.GetSpan(Math.Max(text.Length, 4));
            var status = Utf8.FromUtf16(text, destination, out var read, out var written, replaceInvalidSequences: false);
            if (status is not (OperationStatus.Done or OperationStatus.DestinationTooSmall)) throw new FormatException("string contains a lone surrogate");
            output.Advance(written);
            text = text[read..];
        }
    }

    /// <summary>ECMAScript Number::toString (ECMA-262 §6.1.6.1.20) for finite doubles, as RFC 8785 §3.2.2.3 requires.</summary>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value)) throw new FormatException("NaN and Infinity have no JSON form");
        if (value == 0) return "0"; // also -0
        var negative = value < 0;
        // "R" gives the shortest digit string that round-trips (.NET Core 3.0+), e.g. "1.2345E-07" or "123.45".
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = shortest.IndexOf('E', StringComparison.Ordinal);
        var mantissa = exponentAt < 0 ? shortest : shortest[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(shortest[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var integerDigits = dot < 0 ? mantissa.Length : dot;
        // Normalise to digits s (no leading/trailing zeros) and n such that value = 0.s × 10^n.
        var leading = 0;
        while (leading < digits.Length - 1 && digits[leading] == '0') leading++;
        digits = digits[leading..].TrimEnd('0');
        if (digits.Length == 0) return "0";
        var k = digits.Length;
        var n = integerDigits - leading + exponent;

        var sb = new StringBuilder(32);
        if (negative) sb.Append('-');
        if (k <= n && n <= 21)
        {
            sb.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            sb.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            sb.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            var e = n - 1;
            sb.Append(digits[0]);
            if (k > 1) sb.Append('.').Append(digits, 1, k - 1);
            sb.Append('e').Append(e < 0 ? '-' : '+').Append(Math.Abs(e).ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
