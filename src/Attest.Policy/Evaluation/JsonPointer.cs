using System.Globalization;
using System.Text.Json;

namespace Attest.Policy.Evaluation;

/// <summary>RFC 6901 JSON pointers over <see cref="JsonElement"/> (<c>~1</c> is '/', <c>~0</c> is '~').</summary>
public static class JsonPointer
{
    public static bool TryResolve(JsonElement root, string pointer, out JsonElement value)
    {
        value = root;
        if (pointer.Length == 0) return true;
        if (pointer[0] != '/') return false;
        foreach (var raw in pointer[1..].Split('/'))
        {
            var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            switch (value.ValueKind)
            {
                case JsonValueKind.Object when value.TryGetProperty(token, out var child):
                    value = child;
                    break;
                case JsonValueKind.Array when token.Length > 0 && (token == "0" || token[0] != '0') &&
                                              int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) &&
                                              index < value.GetArrayLength():
                    value = value[index];
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    /// <summary>The value as a condition compares it: strings as they are, other scalars as their JSON text.</summary>
    public static string? ScalarText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => null,
    };
}
