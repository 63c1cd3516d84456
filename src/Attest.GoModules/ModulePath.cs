using System.Text;

namespace Attest.GoModules;

/// <summary>Module path, import path and file path rules of the go command (golang.org/x/mod/module), and
/// the case-encoding (<c>!</c> + lower case) used in proxy URLs and module-cache paths.
/// Every check returns <c>null</c> when valid, otherwise the reason.</summary>
public static class ModulePath
{
    private static readonly string[] BadWindowsNames =
    [
        "CON", "PRN", "AUX", "NUL",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];

    /// <summary>A module path: a valid import path whose first element is a lower-case domain-like name with a
    /// dot, and whose final <c>/vN</c> (or gopkg.in <c>.vN</c>) element is well formed.</summary>
    public static string? CheckModulePath(string path)
    {
        if (CheckGeneral(path, fileName: false) is { } error) return $"malformed module path \"{path}\": {error}";
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? path : path[..slash];
        if (first.Length == 0) return $"malformed module path \"{path}\": leading slash";
        if (!first.Contains('.', StringComparison.Ordinal)) return $"malformed module path \"{path}\": missing dot in first path element";
        if (path[0] == '-') return $"malformed module path \"{path}\": leading dash in first path element";
        foreach (var c in first)
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.'))
                return $"malformed module path \"{path}\": invalid char '{c}' in first path element";
        if (!TrySplitPathMajor(path, out _, out _)) return $"malformed module path \"{path}\": invalid version";
        return null;
    }

    /// <summary>An import path: slash-separated elements of ASCII letters, digits and <c>+-._~</c>.</summary>
    public static string? CheckImportPath(string path) =>
        CheckGeneral(path, fileName: false) is { } error ? $"malformed import path \"{path}\": {error}" : null;

    /// <summary>A file path inside a module: like an import path, but elements may also hold Unicode letters,
    /// spaces and <c>!#$%&amp;()+,-.=@[]^_{}~</c>, and may start with a dot.</summary>
    public static string? CheckFilePath(string path) =>
        CheckGeneral(path, fileName: true) is { } error ? $"malformed file path \"{path}\": {error}" : null;

    private static string? CheckGeneral(string path, bool fileName)
    {
        if (!IsValidUtf16(path)) return "invalid UTF-8";
        if (path.Length == 0) return "empty string";
        if (path.Contains("..", StringComparison.Ordinal)) return "double dot";
        if (path.Contains("//", StringComparison.Ordinal)) return "double slash";
        if (path[^1] == '/') return "trailing slash";
        var start = 0;
        for (var i = 0; i <= path.Length; i++)
        {
            if (i < path.Length && path[i] != '/') continue;
            if (CheckElement(path[start..i], fileName) is { } error) return error;
            start = i + 1;
        }
        return null;
    }

    /// <summary>One path element (x/mod <c>checkElem</c>); also the rule for a version used as a file name.</summary>
    public static string? CheckElement(string element, bool fileName)
    {
        if (element.Length == 0) return "empty path element";
        if (element.AsSpan().IndexOfAnyExcept('.') < 0) return $"invalid path element \"{element}\"";
        if (element[0] == '.' && !fileName) return "leading dot in path element";
        if (element[^1] == '.') return "trailing dot in path element";
        foreach (var rune in element.EnumerateRunes())
        {
            var ok = fileName ? FileNameOk(rune) : ImportPathOk(rune);
            if (!ok) return $"invalid char '{rune}'";
        }
        var dot = element.IndexOf('.', StringComparison.Ordinal);
        var shortName = dot >= 0 ? element[..dot] : element;
        foreach (var bad in BadWindowsNames)
            if (string.Equals(bad, shortName, StringComparison.OrdinalIgnoreCase))
                return $"\"{shortName}\" disallowed as path element component on Windows";
        return null;
    }

    private static bool ImportPathOk(Rune r) =>
        r.Value < 0x80 && (r.Value is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' || "+-._~".Contains((char)r.Value, StringComparison.Ordinal));

    private static bool FileNameOk(Rune r)
    {
        if (r.Value < 0x80)
            return r.Value is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
                || "!#$%&()+,-.=@[]^_{}~ ".Contains((char)r.Value, StringComparison.Ordinal);
        return Rune.IsLetter(r);
    }

    private static bool IsValidUtf16(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (!char.IsSurrogate(s[i])) continue;
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            return false;
        }
        return !s.Contains('\uFFFD', StringComparison.Ordinal);
    }

    /// <summary>Splits <c>example.com/m/v2</c> into prefix and <c>/v2</c> (gopkg.in: <c>.v2</c>); false when the final
    /// element looks like a major version but is malformed (<c>/v1</c>, <c>/v02</c>, <c>/v2.0</c>).</summary>
    public static bool TrySplitPathMajor(string path, out string prefix, out string pathMajor)
    {
        prefix = path;
        pathMajor = "";
        if (path.StartsWith("gopkg.in/", StringComparison.Ordinal)) return TrySplitGopkgIn(path, out prefix, out pathMajor);
        var i = path.Length;
        var dot = false;
        while (i > 0 && (char.IsAsciiDigit(path[i - 1]) || path[i - 1] == '.'))
        {
            if (path[i - 1] == '.') dot = true;
            i--;
        }
        if (i <= 1 || i == path.Length || path[i - 1] != 'v' || path[i - 2] != '/') return true;
        var major = path[(i - 2)..];
        if (dot || major.Length <= 2 || major[2] == '0' || major == "/v1") return false;
        prefix = path[..(i - 2)];
        pathMajor = major;
        return true;
    }

    private static bool TrySplitGopkgIn(string path, out string prefix, out string pathMajor)
    {
        prefix = path;
        pathMajor = "";
        var i = path.Length;
        if (path.EndsWith("-unstable", StringComparison.Ordinal)) i -= "-unstable".Length;
        while (i > 0 && char.IsAsciiDigit(path[i - 1])) i--;
        if (i <= 1 || path[i - 1] != 'v' || path[i - 2] != '.') return false;
        var major = path[(i - 2)..];
        if (major.Length <= 2 || (major[2] == '0' && major != ".v0")) return false;
        prefix = path[..(i - 2)];
        pathMajor = major;
        return true;
    }

    /// <summary>Whether <paramref name="version"/> may be used with a path whose major suffix is <paramref name="pathMajor"/>.</summary>
    public static bool MatchesPathMajor(string version, string pathMajor)
    {
        if (pathMajor.StartsWith(".v", StringComparison.Ordinal) && pathMajor.EndsWith("-unstable", StringComparison.Ordinal))
            pathMajor = pathMajor[..^"-unstable".Length];
        if (version.StartsWith("v0.0.0-", StringComparison.Ordinal) && pathMajor == ".v1") return true;
        var major = SemVer.Major(version);
        if (pathMajor.Length == 0) return major is "v0" or "v1" || SemVer.Build(version) == "+incompatible";
        return pathMajor[0] is '/' or '.' && major == pathMajor[1..];
    }

    /// <summary>Case-encodes a module path for proxy URLs and cache paths (<c>github.com/Azure</c> →
    /// <c>github.com/!azure</c>); null when the path is not a valid module path.</summary>
    public static string? Escape(string path) => CheckModulePath(path) is null ? EscapeString(path) : null;

    /// <summary>Case-encodes a version (which must be a valid file-name element without <c>!</c>).</summary>
    public static string? EscapeVersion(string version) =>
        CheckElement(version, fileName: true) is null && !version.Contains('!', StringComparison.Ordinal) ? EscapeString(version) : null;

    private static string? EscapeString(string s)
    {
        var builder = new StringBuilder(s.Length + 8);
        foreach (var c in s)
        {
            if (c == '!' || c >= 0x80) return null;
            if (c is >= 'A' and <= 'Z') builder.Append('!').Append((char)(c + ('a' - 'A')));
            else builder.Append(c);
        }
        return builder.ToString();
    }

    /// <summary>Reverses <see cref="Escape"/>; null for malformed escapes (upper case, <c>!</c> not followed by a
    /// lower-case letter) or when the result is not a valid module path.</summary>
    public static string? Unescape(string escaped)
    {
        var s = UnescapeString(escaped);
        return s is not null && CheckModulePath(s) is null ? s : null;
    }

    public static string? UnescapeVersion(string escaped)
    {
        var s = UnescapeString(escaped);
        return s is not null && CheckElement(s, fileName: true) is null ? s : null;
    }

    private static string? UnescapeString(string escaped)
    {
        var builder = new StringBuilder(escaped.Length);
        var bang = false;
        foreach (var c in escaped)
        {
            if (c >= 0x80) return null;
            if (bang)
            {
                bang = false;
                if (c is < 'a' or > 'z') return null;
                builder.Append((char)(c - ('a' - 'A')));
                continue;
            }
            if (c == '!') { bang = true; continue; }
            if (c is >= 'A' and <= 'Z') return null;
            builder.Append(c);
        }
        return bang ? null : builder.ToString();
    }

    /// <summary>Go's <c>module.MatchPrefixPatterns</c>: whether any comma-separated glob (as in GOPRIVATE, GONOSUMDB)
    /// matches a leading run of path elements of <paramref name="path"/>.</summary>
    public static bool MatchPrefixPatterns(string patterns, string path)
    {
        foreach (var raw in patterns.Split(','))
        {
            var pattern = raw.Trim();
            if (pattern.Length == 0) continue;
            var elements = pattern.Count(c => c == '/') + 1;
            var prefix = path;
            var seen = 0;
            for (var i = 0; i < path.Length; i++)
            {
                if (path[i] != '/') continue;
                if (++seen == elements) { prefix = path[..i]; break; }
            }
            if (path.Count(c => c == '/') + 1 < elements) continue;
            if (Glob.Match(pattern, prefix)) return true;
        }
        return false;
    }
}
