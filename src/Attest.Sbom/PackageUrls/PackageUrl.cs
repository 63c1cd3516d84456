using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Attest.Sbom.PackageUrls;

/// <summary>
/// A package URL (purl spec, <c>pkg:type/namespace/name@version?qualifiers#subpath</c>), parsed in the spec's
/// order: subpath from the right at '#', qualifiers at '?', scheme at ':', type at the first '/', version at the
/// last '@', then namespace segments and name. Components are percent-decoded; the type is lower-cased, and the
/// namespace/name of types the spec declares case-insensitive (github, bitbucket, pypi, composer) are lower-cased,
/// pypi names with '_' turned into '-'. <see cref="ToString"/> gives the canonical form.
/// </summary>
public sealed record PackageUrl(string Type, string? Namespace, string Name, string? Version, IReadOnlyDictionary<string, string> Qualifiers, string? Subpath)
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out PackageUrl? purl, [NotNullWhen(false)] out string? error, int maxLength = 4096)
    {
        purl = null;
        if (string.IsNullOrEmpty(text)) { error = "package URL is empty"; return false; }
        if (text.Length > maxLength) { error = $"package URL is longer than {maxLength} characters"; return false; }
        var rest = text;
        string? subpath = null;
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            var subpathSegments = rest[(hash + 1)..].Split('/').Select(Decode).Where(s => s is not ("" or "." or "..")).ToList();
            if (subpathSegments.Any(s => s.Contains('/'))) { error = "package URL subpath has a segment with an encoded '/'"; return false; }
            subpath = string.Join('/', subpathSegments);
            rest = rest[..hash];
            if (subpath.Length == 0) subpath = null;
        }
        var qualifiers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            foreach (var pair in rest[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) { error = $"qualifier '{pair}' has no key=value form"; return false; }
                var key = pair[..eq].ToLowerInvariant();
                var value = Decode(pair[(eq + 1)..]);
                if (!key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')) { error = $"qualifier key '{key}' has characters outside [a-z0-9.-_]"; return false; }
                if (value.Length == 0) continue;
                if (!qualifiers.TryAdd(key, value)) { error = $"qualifier '{key}' appears twice"; return false; }
            }
            rest = rest[..question];
        }
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !rest[..colon].Equals("pkg", StringComparison.OrdinalIgnoreCase)) { error = "package URL must start with 'pkg:'"; return false; }
        rest = rest[(colon + 1)..].Trim('/');
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0) { error = "package URL has no type/name"; return false; }
        var type = rest[..slash].ToLowerInvariant();
        if (!char.IsAsciiLetter(type[0]) || !type.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+'))
        {
            error = $"package URL type '{type}' has characters outside [a-z0-9.+-]";
            return false;
        }
        rest = rest[(slash + 1)..];
        string? version = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            version = Decode(rest[(at + 1)..]);
            rest = rest[..at];
            if (version.Length == 0) version = null;
        }
        var segments = rest.Trim('/').Split('/').Where(s => s.Length > 0).Select(Decode).ToList();
        if (segments.Count == 0) { error = "package URL has no name"; return false; }
        // A decoded '/' would print as a segment separator and read back as a different package.
        if (segments.Any(s => s.Contains('/'))) { error = "package URL namespace or name has a segment with an encoded '/'"; return false; }
        var name = segments[^1];
        var ns = segments.Count > 1 ? string.Join('/', segments.Take(segments.Count - 1)) : null;
        switch (type)
        {
            case "github" or "bitbucket" or "composer":
                name = name.ToLowerInvariant();
                ns = ns?.ToLowerInvariant();
                break;
            case "pypi":
                name = name.ToLowerInvariant().Replace('_', '-');
                break;
        }
        purl = new PackageUrl(type, ns, name, version, qualifiers, subpath);
        error = null;
        return true;
    }

    public static PackageUrl Parse(string text) => TryParse(text, out var p, out var e) ? p : throw new FormatException(e);

    /// <summary>The package without version, qualifiers and subpath (<c>pkg:type/namespace/name</c>), which is what
    /// component rules match on.</summary>
    public string Coordinates => "pkg:" + Type + "/" + (Namespace is null ? "" : EncodeSegments(Namespace) + "/") + Encode(Name);

    public override string ToString()
    {
        var sb = new StringBuilder(Coordinates);
        if (Version is not null) sb.Append('@').Append(Encode(Version));
        if (Qualifiers.Count > 0)
            sb.Append('?').AppendJoin('&', Qualifiers.OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => q.Key + "=" + Encode(q.Value, keepSlash: true)));
        if (Subpath is not null) sb.Append('#').Append(EncodeSegments(Subpath));
        return sb.ToString();
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s);

    private static string EncodeSegments(string s) => string.Join('/', s.Split('/').Select(x => Encode(x)));

    private static string Encode(string s, bool keepSlash = false)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            var c = (char)b;
            if (b < 0x80 && (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~' or '+' || (keepSlash && c is '/' or ':')))
                sb.Append(c);
            else
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
