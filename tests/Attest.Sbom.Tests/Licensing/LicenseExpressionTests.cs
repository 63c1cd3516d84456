using Attest.Sbom.Licensing;

namespace Attest.Sbom.Tests.Licensing;

public sealed class LicenseExpressionTests
{
    [Theory]
    [InlineData("single id", "MIT", "MIT")]
    [InlineData("ids are matched case-insensitively and printed canonically", "mit", "MIT")]
    [InlineData("or-later suffix", "GPL-2.0+", "GPL-2.0+")]
    [InlineData("AND binds tighter than OR", "MIT OR Apache-2.0 AND BSD-3-Clause", "MIT OR Apache-2.0 AND BSD-3-Clause")]
    [InlineData("parentheses kept where precedence needs them", "(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause")]
    [InlineData("redundant parentheses dropped", "((MIT))", "MIT")]
    [InlineData("WITH exception, canonical exception id", "GPL-2.0-only WITH classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0")]
    [InlineData("LicenseRef", "LicenseRef-acme-1.0", "LicenseRef-acme-1.0")]
    [InlineData("DocumentRef-qualified LicenseRef", "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2")]
    [InlineData("extra whitespace", "  MIT   OR\tApache-2.0 ", "MIT OR Apache-2.0")]
    public void Parses_and_normalises(string description, string text, string normalised)
    {
        Assert.True(LicenseExpression.TryParse(text, out var e, out var error), $"{description}: {error}");
        Assert.Equal(normalised, e.ToString());
    }

    [Fact]
    public void Precedence_puts_AND_below_OR_in_the_tree()
    {
        var e = LicenseExpression.Parse("MIT OR Apache-2.0 AND BSD-3-Clause");
        var or = Assert.IsType<LicenseOr>(e);
        Assert.Equal("MIT", Assert.IsType<LicenseId>(or.Left).Id);
        Assert.IsType<LicenseAnd>(or.Right);
    }

    [Fact]
    public void Unknown_ids_parse_but_are_marked_unlisted()
    {
        var id = Assert.IsType<LicenseId>(LicenseExpression.Parse("Not-A-Real-License-9"));
        Assert.False(id.IsListed);
        Assert.True(Assert.IsType<LicenseId>(LicenseExpression.Parse("Apache-2.0")).IsListed);
    }

    [Theory]
    [InlineData("lower-case operator", "MIT and Apache-2.0", "case-sensitive")]
    [InlineData("mixed-case operator", "MIT Or Apache-2.0", "case-sensitive")]
    [InlineData("empty", "", "empty")]
    [InlineData("dangling operator", "MIT OR", "ends where a licence was expected")]
    [InlineData("two licences without operator", "MIT Apache-2.0", "expected an operator")]
    [InlineData("unbalanced parenthesis", "(MIT OR Apache-2.0", "missing ')'")]
    [InlineData("stray closing parenthesis", "MIT)", "unexpected ')'")]
    [InlineData("WITH after parentheses", "(MIT OR Apache-2.0) WITH Classpath-exception-2.0", "WITH applies to a single licence")]
    [InlineData("WITH without exception", "GPL-2.0-only WITH", "must be followed")]
    [InlineData("plus on a LicenseRef", "LicenseRef-x+", "not a valid LicenseRef")]
    [InlineData("bad DocumentRef", "Foo:LicenseRef-x", "DocumentRef")]
    [InlineData("special value combined", "NOASSERTION OR MIT", "special value")]
    [InlineData("character outside the grammar", "MIT/Apache", "not allowed")]
    public void Rejects_invalid_expressions_with_a_reason(string description, string text, string reason)
    {
        Assert.False(LicenseExpression.TryParse(text, out _, out var error), description);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Absurdly_long_expression_is_rejected_before_parsing()
    {
        var text = string.Join(" OR ", Enumerable.Repeat("MIT", 100_000));
        Assert.False(LicenseExpression.TryParse(text, out _, out var error));
        Assert.Contains("limit", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_rejected()
    {
        var limits = SbomLimits.Default;
        var deep = new string('(', limits.MaxLicenseExpressionDepth + 1) + "MIT" + new string(')', limits.MaxLicenseExpressionDepth + 1);
        Assert.False(LicenseExpression.TryParse(deep, out _, out var error));
        Assert.Contains("nests deeper", error, StringComparison.Ordinal);
        var ok = new string('(', limits.MaxLicenseExpressionDepth) + "MIT" + new string(')', limits.MaxLicenseExpressionDepth);
        Assert.True(LicenseExpression.TryParse(ok, out _, out _));
    }

    [Fact]
    public void Long_flat_chain_within_the_length_limit_parses_without_stack_trouble()
    {
        var text = string.Join(" AND ", Enumerable.Range(0, 400).Select(i => $"LicenseRef-{i}"));
        Assert.True(text.Length <= SbomLimits.Default.MaxLicenseExpressionLength);
        var e = LicenseExpression.Parse(text);
        Assert.Equal(400, e.Leaves().Count());
        Assert.Equal(text, e.ToString());
    }
}
