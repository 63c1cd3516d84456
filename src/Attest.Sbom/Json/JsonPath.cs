namespace Attest.Sbom.Json;

/// <summary>Builds JSONPath-style locations (<c>$.components[3].hashes[0].content</c>) for findings.</summary>
internal static class JsonPath
{
    public static string Member(string name)
    {
        foreach (var c in name)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '$'))
                return "['" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "']";
        return "." + name;
    }

    public static string Prop(string path, string name) => path + Member(name);

    public static string Item(string path, int index) => path + "[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";
}
