using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace Attest.Core.Json;

/// <summary>
/// A <see cref="JsonException"/> from the serializer as a person reads it: the field and its JSON path, in JSON's
/// terms (string, object, array), never a .NET type name. The serializer's own messages name the contract type
/// ("could not be mapped to any .NET member contained in type 'Attest.Server.Signing.SignatureRequest'"), which tells
/// a client nothing it can act on.
/// </summary>
public static class JsonErrors
{
    /// <summary>A predicate for "the request body …" or "the bundle …", without a trailing period, naming the field,
    /// its path and what was expected ("has an unknown field 'x' at $.push"). With <paramref name="contract"/>, an
    /// unknown field also lists the fields allowed where it was found.</summary>
    public static string Describe(JsonException exception, JsonTypeInfo? contract = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var path = exception.Path is { Length: > 0 } p ? p : "$";
        var message = exception.Message;
        if (UnmappedMemberPattern.Match(message) is { Success: true } unmapped)
        {
            var name = unmapped.Groups["name"].Value;
            // The path ends at the unknown member itself, or at the object that holds it.
            var parent = path.EndsWith("." + name, StringComparison.Ordinal) ? path[..^(name.Length + 1)]
                : path.EndsWith($"['{name}']", StringComparison.Ordinal) ? path[..^(name.Length + 4)]
                : path;
            var allowed = contract is null ? null : FieldsAt(contract, parent);
            return $"has an unknown field '{Shorten(name)}' at {parent}" + (allowed is { Count: > 0 } ? $" (allowed here: {string.Join(", ", allowed)})" : "");
        }
        if (MissingRequiredPattern.Match(message) is { Success: true } missing)
            return $"lacks the required field {missing.Groups["names"].Value} at {path}";
        if (ConversionPattern.Match(message) is { Success: true } conversion)
        {
            // For records the serializer names the type being built, not the member's: the contract knows the member's.
            var expected = (contract is null ? null : TypeAt(contract, path)) is { } member ? JsonKind(member) : JsonKind(conversion.Groups["type"].Value);
            return $"has a value of the wrong type at {path}: it must be {expected}";
        }
        // Anything else (syntax errors, depth, duplicates): the reader's sentence, with no type names left in it.
        var sentence = message.Split(" Path: ", 2)[0];
        var end = sentence.IndexOf(". ", StringComparison.Ordinal);
        if (end >= 0) sentence = sentence[..end];
        sentence = TypeNamePattern.Replace(sentence.TrimEnd('.'), "the expected type");
        return "is not valid JSON: " + (path == "$" ? sentence : $"{sentence} (at {path})");
    }

    /// <summary>The JSON member names <paramref name="contract"/> allows at <paramref name="path"/> ($, $.push, $.a[0].b).</summary>
    private static List<string>? FieldsAt(JsonTypeInfo contract, string path) =>
        ContractAt(contract, path) is { Kind: JsonTypeInfoKind.Object } info ? [.. info.Properties.Select(p => p.Name)] : null;

    /// <summary>The contract of the value at <paramref name="path"/>, when the path leads through known members.</summary>
    private static JsonTypeInfo? ContractAt(JsonTypeInfo contract, string path)
    {
        JsonTypeInfo? info = contract;
        foreach (Match segment in PathSegmentPattern.Matches(path))
        {
            if (segment.Groups["index"].Success)
            {
                info = ElementOf(info);
            }
            else
            {
                var name = segment.Groups["name"].Success ? segment.Groups["name"].Value : segment.Groups["quoted"].Value;
                var property = info?.Properties.FirstOrDefault(p => p.Name == name);
                info = property is null ? null : info!.Options.GetTypeInfo(Unwrap(property.PropertyType));
            }
            if (info is null) return null;
        }
        return info;
    }

    /// <summary>The .NET type at <paramref name="path"/> as a JSON kind's key for <see cref="JsonKind"/>.</summary>
    private static string? TypeAt(JsonTypeInfo contract, string path) => ContractAt(contract, path) switch
    {
        null => null,
        { Kind: JsonTypeInfoKind.Enumerable } => "System.Array[]",
        { Kind: JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary } => "object",
        var info when info.Type == typeof(JsonElement) => null,
        var info => info.Type.FullName,
    };

    private static JsonTypeInfo? ElementOf(JsonTypeInfo? info) =>
        info?.Kind == JsonTypeInfoKind.Enumerable && info.ElementType is { } element ? info.Options.GetTypeInfo(Unwrap(element)) : null;

    private static Type Unwrap(Type type) => Nullable.GetUnderlyingType(type) ?? type;

    /// <summary>The JSON kind a .NET type name stands for, as the serializer prints it.</summary>
    private static string JsonKind(string typeName)
    {
        var name = typeName.TrimEnd('?');
        if (name.StartsWith("System.Nullable", StringComparison.Ordinal) && name.IndexOf('[', StringComparison.Ordinal) is var open and > 0)
            name = name[(open + 1)..].Trim('[', ']').Split(',')[0];
        return name switch
        {
            "System.String" or "System.Char" or "System.Uri" or "System.DateTimeOffset" or "System.DateTime" or "System.TimeSpan" or "System.Guid" => "a string",
            "System.Boolean" => "true or false",
            "System.Int32" or "System.Int64" or "System.Int16" or "System.UInt32" or "System.UInt64" or "System.Byte" => "an integer",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            _ when name.EndsWith("[]", StringComparison.Ordinal) || name.Contains("List`", StringComparison.Ordinal) ||
                   name.Contains("Enumerable`", StringComparison.Ordinal) || name.Contains("Collection`", StringComparison.Ordinal) => "an array",
            _ => "an object",
        };
    }

    private static string Shorten(string text) => text.Length > 64 ? text[..64] + "…" : text;

    // The serializer's messages are read with the linear-time engine and no time limit: a wall-clock limit is one a
    // loaded machine can exceed on the simplest message, and its exception would turn a 400 into a 500.
    private static readonly Regex UnmappedMemberPattern = new(@"^The JSON property '(?<name>.*)' could not be mapped to any \.NET member", RegexOptions.Singleline | RegexOptions.NonBacktracking);

    private static readonly Regex MissingRequiredPattern = new(@"missing required properties including: (?<names>.*?)\.?(?: Path:|$)", RegexOptions.Singleline | RegexOptions.NonBacktracking);

    private static readonly Regex ConversionPattern = new(@"^The JSON value could not be converted to (?<type>\S+)\.", RegexOptions.Singleline | RegexOptions.NonBacktracking);

    private static readonly Regex TypeNamePattern = new(@"'?\b(?:System|Attest|Microsoft)\.[A-Za-z0-9_.`\[\], ]+'?", RegexOptions.NonBacktracking);

    private static readonly Regex PathSegmentPattern = new(@"\.(?<name>[^.\[]+)|\['(?<quoted>[^']*)'\]|\[(?<index>[0-9]+)\]", RegexOptions.NonBacktracking);
}
