using Attest.Cel;
using Attest.Policy.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Attest.Policy;

/// <summary>
/// <c>{cel: "EXPR"}</c> conditions: compiled and type-checked when the policy loads, so a typo fails the load with the
/// file, line and column of the problem inside the expression. The expression sees <c>predicate</c> (the attestation's
/// predicate, JSON as CEL values), <c>predicateType</c>, <c>digest</c> (the image digest, "sha256:…") and <c>now</c>.
/// It must give a bool; each evaluation has a cost limit.
/// </summary>
internal static class CelConditionParser
{
    public static readonly CelEnvironment Environment = new(new Dictionary<string, CelType>(StringComparer.Ordinal)
    {
        ["predicate"] = CelType.Dyn,
        ["predicateType"] = CelType.String,
        ["digest"] = CelType.String,
        ["now"] = CelType.Timestamp,
    });

    /// <param name="condition">The condition's mapping (where it is in the policy).</param>
    /// <param name="node">The expression's scalar.</param>
    public static PredicateCondition? Parse(PolicyReader reader, YamlNode condition, YamlNode node)
    {
        if (reader.String(node, "condition cel") is not { } source) return null;
        var program = Environment.Compile(source, out var issues);
        foreach (var issue in issues) reader.Error(At(reader, node, issue), $"cel: {issue.Message} (expression {issue.Line}:{issue.Column})");
        if (program is null) return null;
        if (!(program.ResultType.IsDyn || program.ResultType == CelType.Bool))
        {
            reader.Error(node, $"cel: the expression gives {program.ResultType}, but a condition must give a bool");
            return null;
        }
        return new CelCondition(reader.Locate(condition), program);
    }

    /// <summary>The YAML position of an issue: the expression's first line starts after the scalar's opening quote (if
    /// any); block scalars (<c>|</c>, <c>&gt;</c>) start on the next line.</summary>
    private static SourceLocation At(PolicyReader reader, YamlNode node, CelIssue issue)
    {
        var scalar = (YamlScalarNode)node;
        var quoted = scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted ? 1 : 0;
        var block = scalar.Style is ScalarStyle.Literal or ScalarStyle.Folded;
        long line, column;
        if (block)
        {
            line = node.Start.Line + issue.Line;
            column = node.Start.Column + 1 + issue.Column;
        }
        else
        {
            line = node.Start.Line + issue.Line - 1;
            column = issue.Line == 1 ? node.Start.Column + quoted + issue.Column - 1 : issue.Column;
        }
        return new SourceLocation(reader.File, (int)line, (int)column);
    }
}
