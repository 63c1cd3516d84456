using System.Diagnostics.CodeAnalysis;

namespace Attest.GoModules.SumDb;

/// <summary>Which module versions a checksum database accepts, from a lookup path or an upload: a valid module path
/// and a canonical version that matches it (as go.sum requires), both within the length bounds. Every refusal is a
/// sentence naming the rule.</summary>
public static class SumDbModule
{
    /// <summary>Reads <c>escapedPath@escapedVersion</c>, the tail of a <c>/lookup/</c> request (case-encoded with
    /// <c>!</c>, as the go command sends it).</summary>
    public static bool TryParseLookup(string text, GoModulesLimits limits, [NotNullWhen(true)] out ModuleVersion? module, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(limits);
        module = null;
        if (text.Length > limits.MaxModulePathLength + limits.MaxVersionLength + 16)
        {
            error = $"the lookup is longer than {limits.MaxModulePathLength + limits.MaxVersionLength + 16} characters";
            return false;
        }
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == text.Length - 1 || text.IndexOf('@', at + 1) >= 0)
        {
            error = "a lookup names one module version as path@version";
            return false;
        }
        var path = ModulePath.Unescape(text[..at]);
        if (path is null)
        {
            error = $"\"{Clip(text[..at])}\" is not a case-encoded module path (upper case is written !x, and the path must be valid)";
            return false;
        }
        var version = ModulePath.UnescapeVersion(text[(at + 1)..]);
        if (version is null)
        {
            error = $"\"{Clip(text[(at + 1)..])}\" is not a case-encoded version";
            return false;
        }
        return TryCheck(path, version, limits, out module, out error);
    }

    /// <summary>Checks an unescaped module path and version (an upload's fields).</summary>
    public static bool TryCheck(string path, string version, GoModulesLimits limits, [NotNullWhen(true)] out ModuleVersion? module, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(limits);
        module = null;
        if (path.Length > limits.MaxModulePathLength)
        {
            error = $"the module path is longer than {limits.MaxModulePathLength} characters";
            return false;
        }
        if (version.Length > limits.MaxVersionLength)
        {
            error = $"the version is longer than {limits.MaxVersionLength} characters";
            return false;
        }
        var candidate = new ModuleVersion(path, version);
        if (candidate.Check() is { } invalid)
        {
            error = invalid;
            return false;
        }
        module = candidate;
        error = null;
        return true;
    }

    private static string Clip(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
