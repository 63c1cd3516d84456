using Attest.Server.Tests.Deploy;
using Attest.Testing;
using YamlDotNet.RepresentationModel;

namespace Attest.Server.Tests.Telemetry;

/// <summary>The Helm chart's PrometheusRule and Grafana dashboard as the tests check them: the rule groups rendered
/// with the chart's default thresholds (what <c>promtool check rules</c> and Prometheus load), and every query.</summary>
internal static class ChartRules
{
    private static readonly string Chart = Path.Combine(RepositoryPaths.Root, "deploy", "helm", "attest");

    public static string DashboardFile => Path.Combine(RepositoryPaths.Root, "deploy", "grafana", "attest-dashboard.json");

    /// <summary>The PrometheusRule rendered with <c>metrics.prometheusRule.enabled</c>.</summary>
    public static YamlMappingNode PrometheusRule()
    {
        var values = HelmSubsetRenderer.Merge(Load(File.ReadAllText(Path.Combine(Chart, "values.yaml"))),
            Load("metrics: {prometheusRule: {enabled: true}}"));
        var renderer = new HelmSubsetRenderer(values, "attest", "attest-system", "0.1.0");
        var rendered = renderer.Render(File.ReadAllText(Path.Combine(Chart, "templates", "prometheusrule.yaml")), "prometheusrule.yaml");
        return Load(rendered);
    }

    /// <summary>A Prometheus rules file: the PrometheusRule's <c>spec</c> (its <c>groups</c>).</summary>
    public static string RulesFileYaml()
    {
        var spec = (YamlMappingNode)PrometheusRule().Children[new YamlScalarNode("spec")];
        var stream = new YamlStream(new YamlDocument(spec));
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    /// <summary>Every alert of the rule, by name, with its expression.</summary>
    public static IReadOnlyList<(string Alert, string Expression)> Alerts() =>
        ((YamlSequenceNode)((YamlMappingNode)PrometheusRule()["spec"])["groups"]).Children
            .SelectMany(g => ((YamlSequenceNode)((YamlMappingNode)g)["rules"]).Children.Cast<YamlMappingNode>())
            .Select(r => (((YamlScalarNode)r["alert"]).Value!, ((YamlScalarNode)r["expr"]).Value!))
            .ToList();

    /// <summary>Every panel query of the dashboard (rows' nested panels too), with its Grafana variables as written.</summary>
    public static IReadOnlyList<(string Panel, string Expression)> DashboardQueries()
    {
        using var dashboard = System.Text.Json.JsonDocument.Parse(File.ReadAllText(DashboardFile));
        var queries = new List<(string, string)>();
        void Visit(System.Text.Json.JsonElement panels)
        {
            foreach (var panel in panels.EnumerateArray())
            {
                if (panel.TryGetProperty("panels", out var nested)) Visit(nested);
                if (!panel.TryGetProperty("targets", out var targets)) continue;
                foreach (var target in targets.EnumerateArray())
                    queries.Add((panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!));
            }
        }
        Visit(dashboard.RootElement.GetProperty("panels"));
        foreach (var variable in dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
            if (variable.TryGetProperty("definition", out var definition))
            {
                // Grafana's label_values(SERIES, LABEL): the series is the PromQL part.
                var series = System.Text.RegularExpressions.Regex.Match(definition.GetString()!, @"^label_values\((.+),\s*\w+\)$");
                Assert.True(series.Success, $"dashboard variable query '{definition.GetString()}' is not label_values(series, label)");
                queries.Add(($"variable {variable.GetProperty("name").GetString()}", series.Groups[1].Value));
            }
        return queries;
    }

    /// <summary>A dashboard query as Prometheus can run it: Grafana's variables replaced by what they stand for.</summary>
    public static string Runnable(string expression) => expression
        .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
        .Replace("$job", ".*", StringComparison.Ordinal);

    private static YamlMappingNode Load(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}

/// <summary>
/// The metric names a PromQL expression reads: identifiers that are not functions or aggregations (followed by a
/// parenthesis), keywords, label names (inside braces or grouping clauses), durations, strings or Grafana variables.
/// Enough for the expressions Attest ships, checked against the names a running Attest exports.
/// </summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan",
    };

    public static IReadOnlySet<string> MetricNames(string expression)
    {
        var text = Strings().Replace(expression, "\"\"");
        text = Braces().Replace(text, "{}");
        text = Ranges().Replace(text, "[]");
        text = Grouping().Replace(text, "");
        text = Variables().Replace(text, "");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (System.Text.RegularExpressions.Match match in Identifier().Matches(text))
        {
            var rest = text[(match.Index + match.Length)..].TrimStart();
            if (rest.StartsWith('(') || Keywords.Contains(match.Value)) continue;
            names.Add(match.Value);
        }
        return names;
    }

    [System.Text.RegularExpressions.GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial System.Text.RegularExpressions.Regex Strings();

    [System.Text.RegularExpressions.GeneratedRegex(@"\{[^}]*\}")]
    private static partial System.Text.RegularExpressions.Regex Braces();

    [System.Text.RegularExpressions.GeneratedRegex(@"\[[^\]]*\]")]
    private static partial System.Text.RegularExpressions.Regex Ranges();

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial System.Text.RegularExpressions.Regex Grouping();

    [System.Text.RegularExpressions.GeneratedRegex(@"\$\w+")]
    private static partial System.Text.RegularExpressions.Regex Variables();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial System.Text.RegularExpressions.Regex Identifier();
}
