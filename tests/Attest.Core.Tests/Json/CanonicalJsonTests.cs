using System.Text;
using Attest.Core.Json;

namespace Attest.Core.Tests.Json;

public class CanonicalJsonTests
{
    // RFC 8785 Appendix B: IEEE 754 binary64 values and their ECMAScript serialisation.
    [Theory]
    [InlineData(0x0000000000000000UL, "0")]
    [InlineData(0x8000000000000000UL, "0")]
    [InlineData(0x0000000000000001UL, "5e-324")]
    [InlineData(0x8000000000000001UL, "-5e-324")]
    [InlineData(0x7fefffffffffffffUL, "1.7976931348623157e+308")]
    [InlineData(0xffefffffffffffffUL, "-1.7976931348623157e+308")]
    [InlineData(0x4340000000000000UL, "9007199254740992")]
    [InlineData(0xc340000000000000UL, "-9007199254740992")]
    [InlineData(0x4430000000000000UL, "295147905179352830000")]
    [InlineData(0x44b52d02c7e14af5UL, "9.999999999999997e+22")]
    [InlineData(0x44b52d02c7e14af6UL, "1e+23")]
    [InlineData(0x44b52d02c7e14af7UL, "1.0000000000000001e+23")]
    [InlineData(0x444b1ae4d6e2ef4eUL, "999999999999999700000")]
    [InlineData(0x444b1ae4d6e2ef4fUL, "999999999999999900000")]
    [InlineData(0x444b1ae4d6e2ef50UL, "1e+21")]
    [InlineData(0x3eb0c6f7a0b5ed8cUL, "9.999999999999997e-7")]
    [InlineData(0x3eb0c6f7a0b5ed8dUL, "0.000001")]
    [InlineData(0x41b3de4355555553UL, "333333333.3333332")]
    [InlineData(0x41b3de4355555554UL, "333333333.33333325")]
    [InlineData(0x41b3de4355555555UL, "333333333.3333333")]
    [InlineData(0x41b3de4355555556UL, "333333333.3333334")]
    [InlineData(0x41b3de4355555557UL, "333333333.33333343")]
    [InlineData(0xbecbf647612f3696UL, "-0.0000033333333333333333")]
    [InlineData(0x43143ff3c1cb0959UL, "1424953923781206.2")]
    public void FormatNumber_matches_RFC_8785_appendix_B(ulong bits, string expected)
    {
        Assert.Equal(expected, CanonicalJson.FormatNumber(BitConverter.UInt64BitsToDouble(bits)));
    }

    [Theory]
    [InlineData(0x7fffffffffffffffUL)]
    [InlineData(0x7ff0000000000000UL)]
    [InlineData(0xfff0000000000000UL)]
    public void FormatNumber_rejects_NaN_and_infinities(ulong bits)
    {
        Assert.Throws<FormatException>(() => CanonicalJson.FormatNumber(BitConverter.UInt64BitsToDouble(bits)));
    }

    [Fact]
    public void Canonicalize_reproduces_the_RFC_8785_section_3_2_4_example()
    {
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;
        const string expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        Assert.Equal(expected, Encoding.UTF8.GetString(CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(input))));
    }

    [Fact]
    public void Canonicalize_sorts_members_by_UTF16_code_units_as_RFC_8785_section_3_2_3()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;
        var output = Encoding.UTF8.GetString(CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(input)));
        var order = new[] { "Carriage Return", "One", "Control", "Latin Small", "Euro Sign", "Emoji", "Hebrew" }
            .Select(v => output.IndexOf(v, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.OrderBy(i => i), order);
        Assert.StartsWith("{\"\\r\":", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Canonicalize_is_idempotent_and_drops_whitespace()
    {
        var once = CanonicalJson.Canonicalize("{ \"b\" : [ 1 , 2.0 ] , \"a\" : { \"y\": \"z\" } }"u8);
        Assert.Equal("{\"a\":{\"y\":\"z\"},\"b\":[1,2]}", Encoding.UTF8.GetString(once));
        Assert.Equal(once, CanonicalJson.Canonicalize(once));
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}", "duplicate")]
    [InlineData("{\"a\":\"\\ud800\"}", "surrogate")]
    [InlineData("[1e400]", "")]
    [InlineData("{\"a\":", "")]
    public void TryCanonicalize_rejects_input_JCS_cannot_represent(string json, string reason)
    {
        Assert.False(CanonicalJson.TryCanonicalize(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Contains(reason, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TryCanonicalize_enforces_the_depth_limit()
    {
        var deep = new string('[', 100) + new string(']', 100);
        Assert.False(CanonicalJson.TryCanonicalize(Encoding.UTF8.GetBytes(deep), out _, out _, maxDepth: 64));
        Assert.True(CanonicalJson.TryCanonicalize(Encoding.UTF8.GetBytes(deep), out _, out _, maxDepth: 128));
    }
}
