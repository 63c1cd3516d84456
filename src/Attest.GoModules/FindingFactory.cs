using Attest.Core;

namespace Attest.GoModules;

/// <summary>Builds findings with evidence in one shape: string keys, values rendered invariantly.</summary>
internal static class FindingFactory
{
    public static Finding Create(string code, string message, params (string Key, object? Value)[] evidence)
    {
        if (evidence.Length == 0) return new Finding(code, message);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in evidence)
            if (value is not null) map[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        return new Finding(code, message, map);
    }

    public static Finding At(string code, string message, string? file, int line, int column, params (string Key, object? Value)[] evidence) =>
        Create(code, file is null ? $"{line}:{column}: {message}" : $"{file}:{line}:{column}: {message}",
            [("file", file), ("line", line), ("column", column), .. evidence]);
}
