using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace Attest.Server.Tests.Deploy;

/// <summary>
/// Renders the chart's templates with the small subset of Helm's template language they are written in, since helm
/// itself is not installable here: <c>{{ .Values.a.b }}</c>, <c>.Release.Name</c>, <c>.Release.Namespace</c>,
/// <c>.Chart.AppVersion</c>; <c>if</c> / <c>else</c> / <c>end</c> with a value, <c>not VALUE</c> or
/// <c>eq VALUE "text"</c>; pipelines through <c>quote</c> and <c>toYaml VALUE | nindent N</c>; <c>required "message" VALUE</c>
/// (an empty value fails the render with the message, as Helm's does); <c>{{-</c> and
/// <c>-}}</c> whitespace trimming. Anything else is an error, so the chart cannot drift outside what is checked.
/// Truthiness follows Go templates: empty strings, false, 0, null and empty maps or lists are false.
/// </summary>
internal sealed partial class HelmSubsetRenderer(YamlMappingNode values, string releaseName, string releaseNamespace, string appVersion)
{
    private abstract record Node;
    private sealed record Text(string Value) : Node;
    private sealed record Output(string Pipeline) : Node;
    private sealed record If(string Condition, List<Node> Then, List<Node> Else) : Node;

    public string Render(string template, string file)
    {
        var tokens = Tokenize(template);
        var position = 0;
        var nodes = Parse(tokens, ref position, file, topLevel: true);
        var output = new StringBuilder();
        Evaluate(nodes, output, file);
        return output.ToString();
    }

    private static List<(bool IsAction, string Value)> Tokenize(string template)
    {
        var tokens = new List<(bool, string)>();
        var index = 0;
        var trimNext = false;
        while (index < template.Length)
        {
            var open = template.IndexOf("{{", index, StringComparison.Ordinal);
            var text = open < 0 ? template[index..] : template[index..open];
            if (trimNext) text = text.TrimStart();
            if (open < 0)
            {
                tokens.Add((false, text));
                break;
            }
            var close = template.IndexOf("}}", open, StringComparison.Ordinal);
            if (close < 0) throw new FormatException("unclosed action");
            var action = template[(open + 2)..close];
            if (action.StartsWith('-'))
            {
                text = text.TrimEnd();
                action = action[1..];
            }
            trimNext = action.EndsWith('-');
            if (trimNext) action = action[..^1];
            tokens.Add((false, text));
            tokens.Add((true, action.Trim()));
            index = close + 2;
        }
        return tokens;
    }

    private static List<Node> Parse(List<(bool IsAction, string Value)> tokens, ref int position, string file, bool topLevel)
    {
        var nodes = new List<Node>();
        while (position < tokens.Count)
        {
            var (isAction, value) = tokens[position++];
            if (!isAction)
            {
                if (value.Length > 0) nodes.Add(new Text(value));
                continue;
            }
            if (value.StartsWith("if ", StringComparison.Ordinal))
            {
                var then = Parse(tokens, ref position, file, topLevel: false);
                var otherwise = new List<Node>();
                if (tokens[position - 1].Value == "else") otherwise = Parse(tokens, ref position, file, topLevel: false);
                nodes.Add(new If(value[3..].Trim(), then, otherwise));
                continue;
            }
            if (value is "end" or "else")
            {
                if (topLevel) throw new FormatException($"{file}: '{value}' without 'if'");
                return nodes;
            }
            nodes.Add(new Output(value));
        }
        if (!topLevel) throw new FormatException($"{file}: 'if' without 'end'");
        return nodes;
    }

    private void Evaluate(List<Node> nodes, StringBuilder output, string file)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case Text text: output.Append(text.Value); break;
                case If branch: Evaluate(IsTrue(Condition(branch.Condition, file)) ? branch.Then : branch.Else, output, file); break;
                case Output action: output.Append(Pipeline(action.Pipeline, file)); break;
            }
        }
    }

    private object? Condition(string expression, string file)
    {
        var parts = Words(expression);
        return parts switch
        {
            ["not", var path] => !IsTrue(Lookup(path, file)),
            ["eq", var path, var literal] when literal.StartsWith('"') => Scalar(Lookup(path, file), file) == literal.Trim('"'),
            [var path] => Lookup(path, file),
            _ => throw new FormatException($"{file}: unsupported condition '{expression}'"),
        };
    }

    private string Pipeline(string pipeline, string file)
    {
        var stages = pipeline.Split('|', StringSplitOptions.TrimEntries);
        var first = Words(stages[0]);
        string text = first switch
        {
            ["toYaml", var path] => ToYaml(Lookup(path, file), file),
            ["required", var message, var path] when message.StartsWith('"') =>
                Lookup(path, file) is var value && IsTrue(value) ? Scalar(value, file) : throw new HelmRenderException(message.Trim('"')),
            [var path] => Scalar(Lookup(path, file), file),
            _ => throw new FormatException($"{file}: unsupported action '{stages[0]}'"),
        };
        foreach (var stage in stages.Skip(1))
        {
            var words = Words(stage);
            text = words switch
            {
                ["quote"] => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
                ["nindent", var n] => "\n" + string.Join("\n", text.Split('\n').Select(l => l.Length == 0 ? l : new string(' ', int.Parse(n, CultureInfo.InvariantCulture)) + l)),
                _ => throw new FormatException($"{file}: unsupported function '{stage}'"),
            };
        }
        return text;
    }

    private static string[] Words(string expression) => WordRegex().Matches(expression).Select(m => m.Value).ToArray();

    [GeneratedRegex("\"[^\"]*\"|[^\\s]+")]
    private static partial Regex WordRegex();

    private object? Lookup(string path, string file)
    {
        switch (path)
        {
            case ".Release.Name": return releaseName;
            case ".Release.Namespace": return releaseNamespace;
            case ".Chart.AppVersion": return appVersion;
        }
        if (!path.StartsWith(".Values.", StringComparison.Ordinal)) throw new FormatException($"{file}: unsupported value '{path}'");
        YamlNode? node = values;
        foreach (var key in path[".Values.".Length..].Split('.'))
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out node))
                throw new FormatException($"{file}: {path} is not in values.yaml (Helm would render it empty)");
        }
        return node;
    }

    private static string Scalar(object? value, string file) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        YamlScalarNode scalar => scalar.Value ?? "",
        _ => throw new FormatException($"{file}: a map or list is printed without toYaml"),
    };

    private static bool IsTrue(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        YamlScalarNode { Value: var v } => v is not (null or "" or "false" or "0" or "null" or "~"),
        YamlMappingNode m => m.Children.Count > 0,
        YamlSequenceNode q => q.Children.Count > 0,
        _ => true,
    };

    private static string ToYaml(object? value, string file)
    {
        if (value is not YamlNode node) throw new FormatException($"{file}: toYaml needs a value from values.yaml");
        return new SerializerBuilder().Build().Serialize(Plain(node)).TrimEnd('\n');
    }

    /// <summary>Values as plain objects, so the serializer writes block YAML as Helm's toYaml does.</summary>
    private static object? Plain(YamlNode node) => node switch
    {
        YamlMappingNode m => m.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => Plain(c.Value)),
        YamlSequenceNode s => s.Children.Select(Plain).ToList(),
        YamlScalarNode { Value: var v } => v,
        _ => null,
    };

    /// <summary>values.yaml with overrides merged in (maps deeply, everything else replaced), as <c>--set</c>/<c>-f</c> do.</summary>
    public static YamlMappingNode Merge(YamlMappingNode defaults, YamlMappingNode overrides)
    {
        var merged = new YamlMappingNode();
        foreach (var (key, value) in defaults.Children) merged.Children[key] = value;
        foreach (var (key, value) in overrides.Children)
            merged.Children[key] = merged.Children.TryGetValue(key, out var existing) && existing is YamlMappingNode a && value is YamlMappingNode b ? Merge(a, b) : value;
        return merged;
    }
}

/// <summary>A template refused to render (Helm's <c>required</c>): the chart's values are incomplete.</summary>
internal sealed class HelmRenderException(string message) : Exception(message);
