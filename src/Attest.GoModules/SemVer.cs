using System.Text.RegularExpressions;

namespace Attest.GoModules;

/// <summary>Semantic versions as golang.org/x/mod/semver reads them: a leading <c>v</c>, shorthands <c>v1</c> and
/// <c>v1.2</c> valid but not canonical, prerelease compared by identifiers, build metadata ignored.</summary>
public static partial class SemVer
{
    private readonly record struct Parsed(string Major, string Minor, string Patch, string Prerelease, string Build, bool Short);

    private static Parsed? Parse(string v)
    {
        if (v.Length < 2 || v[0] != 'v') return null;
        var i = 1;
        if (!ReadNumber(v, ref i, out var major)) return null;
        if (i == v.Length) return new Parsed(major, "0", "0", "", "", true);
        if (v[i] != '.') return null;
        i++;
        if (!ReadNumber(v, ref i, out var minor)) return null;
        if (i == v.Length) return new Parsed(major, minor, "0", "", "", true);
        if (v[i] != '.') return null;
        i++;
        if (!ReadNumber(v, ref i, out var patch)) return null;
        var pre = "";
        if (i < v.Length && v[i] == '-')
        {
            var start = i;
            i++;
            if (!ReadIdentifiers(v, ref i, prerelease: true)) return null;
            pre = v[start..i];
        }
        var build = "";
        if (i < v.Length && v[i] == '+')
        {
            var start = i;
            i++;
            if (!ReadIdentifiers(v, ref i, prerelease: false)) return null;
            build = v[start..i];
        }
        return i == v.Length ? new Parsed(major, minor, patch, pre, build, false) : null;
    }

    private static bool ReadNumber(string v, ref int i, out string number)
    {
        var start = i;
        while (i < v.Length && char.IsAsciiDigit(v[i])) i++;
        number = v[start..i];
        if (number.Length == 0) return false;
        return number.Length == 1 || number[0] != '0';
    }

    private static bool ReadIdentifiers(string v, ref int i, bool prerelease)
    {
        var start = i;
        while (true)
        {
            var idStart = i;
            while (i < v.Length && (char.IsAsciiLetterOrDigit(v[i]) || v[i] == '-')) i++;
            var id = v.AsSpan(idStart, i - idStart);
            if (id.Length == 0) return false;
            if (prerelease && id.Length > 1 && id[0] == '0' && id.IndexOfAnyExceptInRange('0', '9') < 0) return false;
            if (i < v.Length && v[i] == '.') { i++; continue; }
            break;
        }
        if (prerelease && i < v.Length && v[i] != '+') return false;
        return i > start;
    }

    public static bool IsValid(string v) => Parse(v) is not null;

    /// <summary><c>vMAJOR.MINOR.PATCH[-pre]</c>, build metadata dropped; empty when invalid.</summary>
    public static string Canonical(string v) =>
        Parse(v) is { } p ? $"v{p.Major}.{p.Minor}.{p.Patch}{p.Prerelease}" : "";

    public static string Major(string v) => Parse(v) is { } p ? "v" + p.Major : "";

    public static string Prerelease(string v) => Parse(v) is { } p ? p.Prerelease : "";

    public static string Build(string v) => Parse(v) is { } p ? p.Build : "";

    /// <summary>Orders versions; an invalid version sorts before every valid one and equals another invalid one.</summary>
    public static int Compare(string a, string b)
    {
        var pa = Parse(a);
        var pb = Parse(b);
        if (pa is null && pb is null) return 0;
        if (pa is null) return -1;
        if (pb is null) return 1;
        var c = CompareNumber(pa.Value.Major, pb.Value.Major);
        if (c != 0) return c;
        c = CompareNumber(pa.Value.Minor, pb.Value.Minor);
        if (c != 0) return c;
        c = CompareNumber(pa.Value.Patch, pb.Value.Patch);
        if (c != 0) return c;
        return ComparePrerelease(pa.Value.Prerelease, pb.Value.Prerelease);
    }

    private static int CompareNumber(string a, string b) =>
        a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b);

    private static int ComparePrerelease(string a, string b)
    {
        if (a == b) return 0;
        if (a.Length == 0) return 1;
        if (b.Length == 0) return -1;
        var xs = a[1..].Split('.');
        var ys = b[1..].Split('.');
        for (var i = 0; i < Math.Min(xs.Length, ys.Length); i++)
        {
            var x = xs[i];
            var y = ys[i];
            if (x == y) continue;
            var xn = x.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;
            var yn = y.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;
            if (xn && yn) return CompareNumber(x, y);
            if (xn) return -1;
            if (yn) return 1;
            return Math.Sign(string.CompareOrdinal(x, y));
        }
        return xs.Length.CompareTo(ys.Length);
    }

    /// <summary>x/mod <c>module.CanonicalVersion</c>: canonical semver, keeping a <c>+incompatible</c> build suffix.</summary>
    public static string CanonicalModuleVersion(string v)
    {
        var c = Canonical(v);
        return c.Length > 0 && Build(v) == "+incompatible" ? c + "+incompatible" : c;
    }

    /// <summary>Whether <paramref name="v"/> is a pseudo-version (x/mod <c>module.IsPseudoVersion</c>).</summary>
    public static bool IsPseudo(string v) =>
        v.Count(c => c == '-') >= 2 && IsValid(v) && PseudoVersionRegex().IsMatch(v);

    [GeneratedRegex(@"^v[0-9]+\.(0\.0-|[0-9]+\.[0-9]+-([^+]*\.)?0\.)[0-9]{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex PseudoVersionRegex();
}
