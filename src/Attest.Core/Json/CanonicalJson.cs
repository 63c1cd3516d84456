using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;

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
        try
        {
            Write(element, buffer);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json refuses to unescape a lone surrogate (\ud800); JCS has no form for it either.
            throw new FormatException($"string contains a lone surrogate or cannot be unescaped ({e.Message})", e);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(JsonElement element, ArrayBufferWriter<byte> output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var members = new List<(string Name, JsonElement Value)>();
                foreach (var property in element.EnumerateObject()) members.Add((property.Name, property.Value));
                members.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                output.Write("{"u8);
                for (var i = 0; i < members.Count; i++)
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
                WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                var value = double.Parse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
                Encoding.UTF8.GetBytes(FormatNumber(value), output);
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

    /// <summary>RFC 8785 §3.2.2.2: escape <c>"</c>, <c>\</c> and C0 controls (short forms where they exist), nothing else.</summary>
    public static void WriteString(string value, IBufferWriter<byte> output)
    {
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1])) throw new FormatException("string contains a lone surrogate");
                builder.Append(c).Append(value[++i]);
                continue;
            }
            if (char.IsLowSurrogate(c)) throw new FormatException("string contains a lone surrogate");
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\t': builder.Append("\\t"); break;
                case '\n': builder.Append("\\n"); break;
                case '\f': builder.Append("\\f"); break;
                case '\r': builder.Append("\\r"); break;
                default:
                    if (c < 0x20) builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else builder.Append(c);
                    break;
            }
        }
        builder.Append('"');
        Encoding.UTF8.GetBytes(builder.ToString(), output);
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
