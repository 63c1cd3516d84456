using System.Diagnostics;
using System.Text.Json;

namespace Attest.Cel.Tests;

/// <summary>Compiling (errors with line and column), evaluating over JSON predicates, and the bounds: cost, depth, length.</summary>
public sealed class CelEnvironmentTests
{
    private static readonly CelEnvironment Environment = new(new Dictionary<string, CelType>
    {
        ["predicate"] = CelType.Dyn,
        ["now"] = CelType.Timestamp,
    });

    private static CelProgram Compile(string source)
    {
        var program = Environment.Compile(source, out var issues);
        Assert.True(program is not null, string.Join("; ", issues));
        return program;
    }

    private static IReadOnlyList<CelIssue> Errors(string source)
    {
        Assert.Null(Environment.Compile(source, out var issues));
        Assert.NotEmpty(issues);
        return issues;
    }

    private static Dictionary<string, object> Predicate(string json) => new()
    {
        ["predicate"] = CelJson.FromElement(JsonDocument.Parse(json).RootElement),
        ["now"] = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
    };

    [Theory]
    [InlineData("predicate.x +", 1, 14, "ends where an operand was expected")]
    [InlineData("predicate.x ==\n  (1 + )", 2, 8, "unexpected ')'")]
    [InlineData("subject.name == 'a'", 1, 1, "undeclared reference to 'subject'")]
    [InlineData("size(1) == 1", 1, 1, "no matching overload for 'size' applied to '(int)'")]
    [InlineData("1 + 'a' == 2", 1, 3, "no matching overload for '+'")]
    [InlineData("[1, 2].all(x, x + 1)", 1, 17, "the predicate of all() must be a bool, not int")]
    [InlineData("now.nope", 1, 4, "does not support field selection")]
    [InlineData("'abc'.startsWith(1)", 1, 6, "no matching overload for 'startsWith'")]
    [InlineData("predicate.items.exists(i, i.name == 'x') && 'a' == 1", 1, 49, "can never be equal")]
    [InlineData("while", 1, 1, "'while' is a reserved word")]
    [InlineData("'unterminated", 1, 1, "unterminated string literal")]
    public void Expression_that_does_not_compile_is_reported_at_its_line_and_column(string source, int line, int column, string message)
    {
        var issue = Errors(source)[0];
        Assert.Contains(message, issue.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (issue.Line, issue.Column));
    }

    [Fact]
    public void Predicate_conditions_read_json_with_ints_doubles_lists_and_maps()
    {
        var variables = Predicate("""
            {"scanner": {"result": {"summary": {"criticalCount": 0, "highCount": 2}}},
             "materials": [{"uri": "git+https://github.com/example/app@refs/tags/v1"}, {"uri": "git+https://github.com/example/lib"}],
             "score": 7.5, "metadata": {"buildFinishedOn": "2025-12-30T10:00:00Z"}}
            """);
        Assert.True(Compile("predicate.scanner.result.summary.criticalCount == 0").Evaluate(variables).IsTrue);
        Assert.True(Compile("predicate.scanner.result.summary.highCount <= 2 && predicate.score < 8").Evaluate(variables).IsTrue);
        Assert.True(Compile("predicate.materials.all(m, m.uri.startsWith('git+https://github.com/example/'))").Evaluate(variables).IsTrue);
        Assert.True(Compile("predicate.materials.exists_one(m, m.uri.matches('@refs/tags/v[0-9]+$'))").Evaluate(variables).IsTrue);
        Assert.True(Compile("now - timestamp(predicate.metadata.buildFinishedOn) < duration('168h')").Evaluate(variables).IsTrue);
        Assert.True(Compile("has(predicate.scanner) && !has(predicate.signature)").Evaluate(variables).IsTrue);
        Assert.True(Compile("predicate.materials.map(m, m.uri).filter(u, u.endsWith('lib')).size() == 1").Evaluate(variables).IsTrue);
        Assert.False(Compile("predicate.materials.all(m, m.uri.startsWith('git+https://github.com/other/'))").Evaluate(variables).IsTrue);
    }

    [Fact]
    public void Missing_field_is_an_evaluation_error_not_a_false()
    {
        var result = Compile("predicate.absent.count == 0").Evaluate(Predicate("{}"));
        Assert.Null(result.Value);
        Assert.Contains("no such key: 'absent'", result.Error, StringComparison.Ordinal);
        // The logical operators absorb it where the other side decides.
        Assert.True(Compile("!has(predicate.absent) || predicate.absent.count == 0").Evaluate(Predicate("{}")).IsTrue);
    }

    [Fact]
    public void Expensive_expression_is_stopped_by_the_cost_limit()
    {
        // 10^6 inner evaluations: a million-element product, well past the default limit of 1,000,000 units.
        const string Ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
        var source = $"{Ten}.all(a, {Ten}.all(b, {Ten}.all(c, {Ten}.all(d, {Ten}.all(e, {Ten}.all(f, a + b + c + d + e + f > 0))))))";
        var watch = Stopwatch.StartNew();
        var result = Compile(source).Evaluate(Predicate("{}"));
        Assert.True(result.CostExceeded);
        Assert.Null(result.Value);
        Assert.Contains("cost limit of 1000000", result.Error, StringComparison.Ordinal);
        Assert.True(result.Cost > 1_000_000);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Growing_strings_and_lists_are_bounded()
    {
        var strings = Compile(string.Join(" + ", Enumerable.Repeat("predicate.s", 40))).Evaluate(new Dictionary<string, object> { ["predicate"] = CelMap.Of([new("s", new string('x', 10_000))], out _) });
        Assert.Contains("exceed 100000 characters", strings.Error, StringComparison.Ordinal);
        var items = "[" + string.Join(",", Enumerable.Repeat("1", 60_000)) + "]";
        var lists = Compile("size(predicate + predicate) > 0").Evaluate(new Dictionary<string, object> { ["predicate"] = CelJson.FromElement(JsonDocument.Parse(items).RootElement) });
        Assert.Contains("exceed 100000 elements", lists.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_and_long_expressions_are_refused_at_compile_time()
    {
        Assert.Contains("nests deeper than 64", Errors(new string('(', 100) + "1" + new string(')', 100) + " == 1")[0].Message, StringComparison.Ordinal);
        Assert.Contains("nests deeper than 64", Errors(string.Concat(Enumerable.Repeat("!", 200)) + "true")[0].Message, StringComparison.Ordinal);
        Assert.Contains("more than 8192", Errors("predicate.a == '" + new string('x', 9000) + "'")[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Catastrophic_regular_expression_runs_in_linear_time()
    {
        var variables = new Dictionary<string, object> { ["predicate"] = CelMap.Of([new("s", new string('a', 5000) + "!")], out _) };
        var watch = Stopwatch.StartNew();
        var result = Compile("predicate.s.matches('^(a+)+$')").Evaluate(variables);
        Assert.Equal(false, result.Value);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Invalid_regular_expression_is_an_evaluation_error()
    {
        var result = Compile("'a'.matches('(')").Evaluate(Predicate("{}"));
        Assert.Contains("invalid regular expression", result.Error, StringComparison.Ordinal);
    }
}
