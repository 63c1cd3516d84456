using System.Text.Json;

namespace Attest.Sbom.Json;

internal static class JsonElementExtensions
{
    /// <summary>The string value of <paramref name="name"/>, or null when absent or not a string.</summary>
    public static string? Str(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;

    public static JsonElement? Prop(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) ? v : null;

    public static IEnumerable<JsonElement> Items(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray()
            : [];

    public static string Kind(this JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "undefined",
    };

    /// <summary>Requires an object; records a violation and returns false otherwise.</summary>
    public static bool ExpectObject(this JsonElement element, string path, Violations v)
    {
        if (element.ValueKind == JsonValueKind.Object) return true;
        v.Add(path, $"must be an object, found {element.Kind()}");
        return false;
    }

    public static bool ExpectArray(this JsonElement element, string path, Violations v)
    {
        if (element.ValueKind == JsonValueKind.Array) return true;
        v.Add(path, $"must be an array, found {element.Kind()}");
        return false;
    }

    /// <summary>Optional string property: a violation when present with another type (or empty when
    /// <paramref name="minLength"/> is 1).</summary>
    public static string? OptionalString(this JsonElement element, string name, string path, Violations v, int minLength = 0)
    {
        if (!element.TryGetProperty(name, out var p)) return null;
        if (p.ValueKind != JsonValueKind.String)
        {
            v.Add(JsonPath.Prop(path, name), $"must be a string, found {p.Kind()}");
            return null;
        }
        var s = p.GetString()!;
        if (s.Length < minLength) v.Add(JsonPath.Prop(path, name), $"must be at least {minLength} character(s) long");
        return s;
    }

    public static string? RequiredString(this JsonElement element, string name, string path, Violations v, int minLength = 0)
    {
        if (!element.TryGetProperty(name, out _))
        {
            v.Add(path, $"required property '{name}' is missing");
            return null;
        }
        return element.OptionalString(name, path, v, minLength);
    }

    /// <summary>Checks that every property of an object is one of <paramref name="allowed"/> (JSON schema
    /// <c>additionalProperties: false</c>).</summary>
    public static void OnlyProperties(this JsonElement element, string path, Violations v, IReadOnlySet<string> allowed)
    {
        foreach (var p in element.EnumerateObject())
            if (!allowed.Contains(p.Name))
                v.Add(JsonPath.Prop(path, p.Name), "property is not allowed here");
    }

    public static void EnumValue(this JsonElement element, string name, string path, Violations v, IReadOnlySet<string> allowed)
    {
        var s = element.OptionalString(name, path, v);
        if (s is not null && !allowed.Contains(s))
            v.Add(JsonPath.Prop(path, name), $"'{Short(s)}' is not one of the allowed values");
    }

    public static string Short(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
