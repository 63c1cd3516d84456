using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Attest.Policy;

/// <summary>
/// Reads one policy document's YAML into typed values, collecting every problem (wrong type, unknown field,
/// missing field, bad value) with its file:line:column instead of stopping at the first.
/// </summary>
internal sealed partial class PolicyReader(string file, List<PolicyError> errors)
{
    public string File => file;

    /// <summary>Trusted roots a policy may name instead of a file (<c>trustedRoot: attest</c>, the server's own).</summary>
    public IReadOnlyDictionary<string, Sigstore.TrustRoot.TrustedRoot> NamedTrustedRoots { get; init; } =
        new Dictionary<string, Sigstore.TrustRoot.TrustedRoot>();

    public bool HasErrors => errors.Count > 0;

    public void Error(YamlNode node, string message) =>
        errors.Add(new PolicyError(new SourceLocation(file, (int)node.Start.Line, (int)node.Start.Column), message));

    public void Error(SourceLocation location, string message) => errors.Add(new PolicyError(location, message));

    public SourceLocation Locate(YamlNode node) => new(file, (int)node.Start.Line, (int)node.Start.Column);

    /// <summary>The mapping's fields, after reporting any key not in <paramref name="known"/>.</summary>
    public Fields Fields(YamlNode node, string what, params string[] known)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, $"{what} must be a mapping");
            return new Fields(this, new YamlMappingNode());
        }
        foreach (var key in map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value;
            if (name is null || !known.Contains(name))
                Error(key, $"unknown field '{name}' in {what} (expected {string.Join(", ", known)})");
        }
        return new Fields(this, map);
    }

    public string? String(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Value: { Length: > 0 } value }) return value;
        Error(node, $"{what} must be a non-empty string");
        return null;
    }

    public IReadOnlyList<string> StringList(YamlNode node, string what, int max = 1_000)
    {
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, $"{what} must be a list of strings");
            return [];
        }
        if (sequence.Children.Count > max)
        {
            Error(node, $"{what} has {sequence.Children.Count} items; at most {max} are allowed");
            return [];
        }
        var result = new List<string>();
        foreach (var item in sequence.Children)
        {
            if (item is YamlScalarNode { Value: { Length: > 0 } value }) result.Add(value);
            else Error(item, $"{what} items must be non-empty strings");
        }
        return result;
    }

    public IEnumerable<YamlNode> Sequence(YamlNode node, string what, int max = 1_000)
    {
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, $"{what} must be a list");
            return [];
        }
        if (sequence.Children.Count > max)
        {
            Error(node, $"{what} has {sequence.Children.Count} items; at most {max} are allowed");
            return [];
        }
        return sequence.Children;
    }

    public int? Integer(YamlNode node, string what, int min, int max)
    {
        if (node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            if (value >= min && value <= max) return value;
            Error(node, $"{what} must be between {min} and {max}, not {value}");
            return null;
        }
        Error(node, $"{what} must be a whole number");
        return null;
    }

    public bool? Boolean(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Value: "true" }) return true;
        if (node is YamlScalarNode { Value: "false" }) return false;
        Error(node, $"{what} must be true or false");
        return null;
    }

    /// <summary>A regular expression that must match the whole value (so <c>https://github\.com/acme/.*</c> cannot
    /// be satisfied by a value that merely contains it), compiled with a match timeout (policy authors can write
    /// catastrophic patterns; evaluation must stay bounded).</summary>
    public Regex? Regex(YamlNode node, string what)
    {
        var pattern = String(node, what);
        if (pattern is null) return null;
        if (pattern.Length > 4_096)
        {
            Error(node, $"{what} is longer than 4096 characters");
            return null;
        }
        try
        {
            return new Regex($"\\A(?:{pattern})\\z", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException e)
        {
            Error(node, $"{what} is not a valid regular expression: {e.Message}");
            return null;
        }
    }

    /// <summary>Durations such as <c>720h</c>, <c>30m</c>, <c>45s</c>, <c>7d</c> (<see cref="Durations"/>).</summary>
    public TimeSpan? Duration(YamlNode node, string what)
    {
        var text = String(node, what);
        if (text is null) return null;
        if (Durations.TryParse(text, out var duration, out var problem)) return duration;
        Error(node, $"{what} {problem}");
        return null;
    }
}

/// <summary>Access to a mapping's fields by name; missing required fields are reported at the mapping.</summary>
internal readonly struct Fields(PolicyReader reader, YamlMappingNode map)
{
    public YamlMappingNode Node => map;

    public YamlNode? Optional(string name) =>
        map.Children.TryGetValue(new YamlScalarNode(name), out var node) ? node : null;

    public YamlNode? Required(string name, string what)
    {
        var node = Optional(name);
        if (node is null) reader.Error(map, $"{what} needs '{name}'");
        return node;
    }
}
