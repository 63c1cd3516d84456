namespace Attest.Sbom.Versions;

/// <summary>Which ordering a version belongs to (chosen from the purl type or the <c>vers:</c> scheme).</summary>
public enum VersionScheme
{
    /// <summary>Semantic Versioning 2.0.0; a leading 'v' is accepted. Go module versions (<c>golang</c>) use it too:
    /// pseudo-versions (<c>v0.0.0-20191109021931-daa7c04131f5</c>, <c>v1.2.4-0.2019…</c>) are pre-releases of the
    /// next patch and sort as such, and <c>+incompatible</c> is build metadata, ignored for ordering.</summary>
    Semver,

    /// <summary>Generic: dot/dash separated segments, numeric segments compared as numbers, others ordinally;
    /// used for ecosystems without a dedicated ordering here (maven, pypi, deb …).</summary>
    Generic,
}

public static class VersionComparer
{
    public static VersionScheme SchemeFor(string purlTypeOrVersScheme) => purlTypeOrVersScheme.ToLowerInvariant() switch
    {
        "golang" or "npm" or "semver" or "cargo" or "nuget" or "gem" or "hex" or "pub" or "swift" => VersionScheme.Semver,
        _ => VersionScheme.Generic,
    };

    /// <summary>Compares two versions; falls back to the generic ordering when either is not valid semver.</summary>
    public static int Compare(string a, string b, VersionScheme scheme)
    {
        if (scheme == VersionScheme.Semver && SemVersion.TryParse(a, out var sa) && SemVersion.TryParse(b, out var sb))
            return sa.CompareTo(sb);
        return CompareGeneric(a, b);
    }

    private static int CompareGeneric(string a, string b)
    {
        var xs = Split(a);
        var ys = Split(b);
        for (var i = 0; i < Math.Max(xs.Count, ys.Count); i++)
        {
            var x = i < xs.Count ? xs[i] : "0";
            var y = i < ys.Count ? ys[i] : "0";
            var xn = ulong.TryParse(x, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var xv);
            var yn = ulong.TryParse(y, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var yv);
            var c = (xn, yn) switch
            {
                (true, true) => xv.CompareTo(yv),
                (true, false) => 1, // 1.0.1 > 1.0.beta
                (false, true) => -1,
                _ => string.CompareOrdinal(x, y),
            };
            if (c != 0) return c;
        }
        return 0;
    }

    private static List<string> Split(string v)
    {
        var parts = new List<string>();
        var start = 0;
        v = v.TrimStart('v', 'V');
        for (var i = 0; i <= v.Length; i++)
        {
            if (i == v.Length || v[i] is '.' or '-' or '_' or '+' or '~' || (i > start && char.IsAsciiDigit(v[i]) != char.IsAsciiDigit(v[i - 1])))
            {
                if (i > start) parts.Add(v[start..i]);
                start = i < v.Length && v[i] is '.' or '-' or '_' or '+' or '~' ? i + 1 : i;
            }
        }
        return parts;
    }
}

/// <summary>A Semantic Versioning 2.0.0 version (§2 core, §9 pre-release, §10 build metadata ignored for order, §11 precedence).</summary>
public readonly record struct SemVersion(ulong Major, ulong Minor, ulong Patch, string[] PreRelease) : IComparable<SemVersion>
{
    public static bool TryParse(string text, out SemVersion version)
    {
        version = default;
        var s = text.StartsWith('v') || text.StartsWith('V') ? text[1..] : text;
        var plus = s.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            var build = s[(plus + 1)..];
            if (build.Length == 0 || !build.Split('.').All(IsIdentifier)) return false;
            s = s[..plus];
        }
        string[] pre = [];
        var dash = s.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            pre = s[(dash + 1)..].Split('.');
            if (pre.Any(p => !IsIdentifier(p) || (IsNumeric(p) && p.Length > 1 && p[0] == '0'))) return false;
            s = s[..dash];
        }
        var core = s.Split('.');
        if (core.Length != 3 || !core.All(c => IsNumeric(c) && (c.Length == 1 || c[0] != '0'))) return false;
        if (!ulong.TryParse(core[0], System.Globalization.CultureInfo.InvariantCulture, out var major)
            || !ulong.TryParse(core[1], System.Globalization.CultureInfo.InvariantCulture, out var minor)
            || !ulong.TryParse(core[2], System.Globalization.CultureInfo.InvariantCulture, out var patch)) return false;
        version = new SemVersion(major, minor, patch, pre);
        return true;
    }

    public int CompareTo(SemVersion other)
    {
        var c = Major.CompareTo(other.Major);
        if (c == 0) c = Minor.CompareTo(other.Minor);
        if (c == 0) c = Patch.CompareTo(other.Patch);
        if (c != 0) return c;
        // §11.3: a pre-release has lower precedence than the release.
        if (PreRelease.Length == 0 && other.PreRelease.Length == 0) return 0;
        if (PreRelease.Length == 0) return 1;
        if (other.PreRelease.Length == 0) return -1;
        for (var i = 0; i < Math.Min(PreRelease.Length, other.PreRelease.Length); i++)
        {
            var a = PreRelease[i];
            var b = other.PreRelease[i];
            var an = IsNumeric(a);
            var bn = IsNumeric(b);
            c = (an, bn) switch
            {
                (true, true) => a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b),
                (true, false) => -1,
                (false, true) => 1,
                _ => string.CompareOrdinal(a, b),
            };
            if (c != 0) return Math.Sign(c);
        }
        return PreRelease.Length.CompareTo(other.PreRelease.Length);
    }

    public bool Equals(SemVersion other) => CompareTo(other) == 0;

    public override int GetHashCode() => HashCode.Combine(Major, Minor, Patch, PreRelease.Length);

    private static bool IsNumeric(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    private static bool IsIdentifier(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
