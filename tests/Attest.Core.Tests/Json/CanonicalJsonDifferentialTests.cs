using System.Globalization;
using System.Text;
using System.Text.Json;
using Attest.Core.Json;

namespace Attest.Core.Tests.Json;

/// <summary>
/// <see cref="CanonicalJson"/> copies strings and names from the document's UTF-8 when that already is their canonical
/// form. These tests hold it to the plain definition of RFC 8785 (<see cref="Reference"/>: every string decoded, every
/// name sorted as UTF-16, every number through ECMAScript formatting) over generated documents that mix raw and escaped
/// spellings, non-ASCII and supplementary-plane names, controls, duplicates and numbers of every shape.
/// </summary>
public class CanonicalJsonDifferentialTests
{
    [Fact]
    public void Generated_documents_canonicalize_as_the_plain_definition_does()
    {
        var random = new Random(8785);
        var differences = new List<string>();
        for (var i = 0; i < 3000; i++)
        {
            var json = Document(random, depth: 0);
            var expected = Outcome(() => Reference.Canonicalize(Encoding.UTF8.GetBytes(json)));
            var actual = Outcome(() => CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(json)));
            if (expected != actual) differences.Add($"{json}\n  expected {expected}\n  actual   {actual}");
        }
        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(5)));
    }

    [Theory]
    [InlineData(new byte[] { 0x22, 0xED, 0xA0, 0x80, 0x22 })] // an encoded surrogate: not UTF-8
    [InlineData(new byte[] { 0x22, 0xFF, 0x22 })]
    [InlineData(new byte[] { 0x22, 0xC0, 0xAF, 0x22 })] // overlong '/'
    [InlineData(new byte[] { 0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D })] // as a member name
    public void Invalid_UTF8_in_a_string_is_refused_not_copied(byte[] json)
    {
        Assert.False(CanonicalJson.TryCanonicalize(json, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("{\"a\":1,\"\\u0061\":2}")]
    [InlineData("{\"\\u00e9\":1,\"é\":2}")]
    [InlineData("{\"b\":1,\"a\":2,\"b\":3}")]
    public void A_name_given_twice_in_any_spelling_is_refused(string json)
    {
        Assert.False(CanonicalJson.TryCanonicalize(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Contains("duplicate", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[-0]", "[0]")]
    [InlineData("[-0.0]", "[0]")]
    [InlineData("[123456789012345]", "[123456789012345]")]
    [InlineData("[1234567890123456789]", "[1234567890123456800]")]
    [InlineData("[100e-2]", "[1]")]
    [InlineData("[\"\\u0041\\/\"]", "[\"A/\"]")]
    public void Numbers_and_escapes_take_their_canonical_form(string json, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(json))));
    }

    private static string Outcome(Func<byte[]> canonicalize)
    {
        try
        {
            return Convert.ToHexString(canonicalize());
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return "refused";
        }
    }

    private static readonly string[] Texts =
    [
        "", "a", "b", "ab", "A", "z", "key", "1", "~", " ", "a b", "é", "€", "\u0080", "\ufb33", "\ue000", "\uffff", "😀", "\ud83d\ude00x",
        "\ud800", "x\udc00", "\r", "\n", "\t", "\u0000", "\u001f", "\u007f", "\"", "\\", "/", "\u2028", "k\"q", "x\\y", "mixé", "Zürich",
    ];

    private static string Document(Random random, int depth) => random.Next(depth > 3 ? 3 : 6) switch
    {
        0 => StringToken(random),
        1 => NumberToken(random),
        2 => random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" },
        3 => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => Document(random, depth + 1))) + "]",
        _ => "{" + string.Join(",", Enumerable.Range(0, random.Next(6)).Select(_ => StringToken(random) + ":" + Document(random, depth + 1))) + "}",
    };

    /// <summary>A string token, each character raw or escaped at random (controls, quotes and backslashes always escaped).</summary>
    private static string StringToken(Random random)
    {
        var text = random.Next(5) == 0 ? Texts[random.Next(Texts.Length)] + Texts[random.Next(Texts.Length)] : Texts[random.Next(Texts.Length)];
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            var mustEscape = c < 0x20 || c == '"' || c == '\\';
            if (mustEscape || random.Next(6) == 0)
            {
                if (random.Next(2) == 0 && c is '"' or '\\' or '\n' or '\t' or '\r' or '\b' or '\f' or '/')
                    builder.Append('\\').Append(c switch { '\n' => 'n', '\t' => 't', '\r' => 'r', '\b' => 'b', '\f' => 'f', _ => c });
                else
                    builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.Append('"').ToString();
    }

    private static readonly string[] Numbers =
    [
        "0", "-0", "1", "-1", "42", "999999999999999", "1000000000000000", "-9007199254740993", "12345678901234567890", "0.5", "-0.0",
        "1.0", "1e3", "1E-7", "2.50e+2", "123456789012345678901234", "1e21", "1e400", "4.35", "0.000001", "5e-324",
    ];

    private static string NumberToken(Random random) => Numbers[random.Next(Numbers.Length)];

    /// <summary>RFC 8785 spelled out with no shortcut, as the canonicalizer was first written.</summary>
    private static class Reference
    {
        public static byte[] Canonicalize(byte[] json)
        {
            using var document = JsonDocument.Parse(json);
            var output = new StringBuilder();
            try
            {
                Write(document.RootElement, output);
            }
            catch (InvalidOperationException e)
            {
                throw new FormatException(e.Message, e);
            }
            return Encoding.UTF8.GetBytes(output.ToString());
        }

        private static void Write(JsonElement element, StringBuilder output)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var members = element.EnumerateObject().Select(p => (p.Name, p.Value)).ToList();
                    members.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                    output.Append('{');
                    for (var i = 0; i < members.Count; i++)
                    {
                        if (i > 0)
                        {
                            if (members[i - 1].Name == members[i].Name) throw new FormatException("duplicate");
                            output.Append(',');
                        }
                        WriteString(members[i].Name, output);
                        output.Append(':');
                        Write(members[i].Value, output);
                    }
                    output.Append('}');
                    break;
                case JsonValueKind.Array:
                    output.Append('[').AppendJoin(',', element.EnumerateArray().Select(item =>
                    {
                        var inner = new StringBuilder();
                        Write(item, inner);
                        return inner.ToString();
                    })).Append(']');
                    break;
                case JsonValueKind.String:
                    WriteString(element.GetString()!, output);
                    break;
                case JsonValueKind.Number:
                    output.Append(CanonicalJson.FormatNumber(double.Parse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture)));
                    break;
                default:
                    output.Append(element.GetRawText());
                    break;
            }
        }

        private static void WriteString(string value, StringBuilder output)
        {
            output.Append('"');
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])))
                    throw new FormatException("lone surrogate");
                if (char.IsHighSurrogate(c))
                {
                    output.Append(c).Append(value[++i]);
                    continue;
                }
                output.Append(c switch
                {
                    '"' => "\\\"",
                    '\\' => "\\\\",
                    '\b' => "\\b",
                    '\t' => "\\t",
                    '\n' => "\\n",
                    '\f' => "\\f",
                    '\r' => "\\r",
                    < ' ' => $"\\u{(int)c:x4}",
                    _ => c.ToString(),
                });
            }
            output.Append('"');
        }
    }
}
