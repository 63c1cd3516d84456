using System.Diagnostics.CodeAnalysis;

namespace Attest.Sbom.Versions;

public enum VersionOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

public sealed record VersionConstraint(VersionOperator Operator, string Version);

/// <summary>
/// A set of versions, written either in the <c>vers:</c> syntax (<c>vers:golang/&gt;=1.0.0|&lt;1.2.3</c>, constraints
/// separated by <c>|</c>, evaluated as the vers specification describes: sorted, <c>=</c>/<c>!=</c> first, then
/// intervals formed by consecutive lower and upper bounds) or in the usual comparison form (<c>&lt;1.2.3</c>,
/// <c>&gt;=1.0, &lt;2.0</c>: comma-separated constraints that must all hold, <c>||</c> between alternatives, a bare
/// version meaning equality, <c>*</c> meaning every version).
/// </summary>
public sealed class VersionRange
{
    private readonly IReadOnlyList<IReadOnlyList<VersionConstraint>> _alternatives;
    private readonly bool _vers;
    private readonly bool _all;

    private VersionRange(string text, VersionScheme scheme, IReadOnlyList<IReadOnlyList<VersionConstraint>> alternatives, bool vers, bool all)
    {
        Text = text;
        Scheme = scheme;
        _alternatives = alternatives;
        _vers = vers;
        _all = all;
    }

    public string Text { get; }

    public VersionScheme Scheme { get; }

    public static VersionRange All(VersionScheme scheme) => new("*", scheme, [], vers: false, all: true);

    public static bool TryParse(string text, VersionScheme defaultScheme, [NotNullWhen(true)] out VersionRange? range, [NotNullWhen(false)] out string? error)
    {
        range = null;
        var t = text.Trim();
        if (t.Length is 0 or > 1024) { error = "version range is empty or longer than 1024 characters"; return false; }
        if (t.StartsWith("vers:", StringComparison.OrdinalIgnoreCase))
        {
            var slash = t.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0) { error = "vers: range needs a scheme: vers:<scheme>/<constraints>"; return false; }
            var scheme = VersionComparer.SchemeFor(t[5..slash]);
            var body = t[(slash + 1)..].Replace(" ", "", StringComparison.Ordinal);
            if (body == "*") { range = new VersionRange(t, scheme, [], true, true); error = null; return true; }
            var list = new List<VersionConstraint>();
            foreach (var part in body.Split('|'))
            {
                if (!TryConstraint(Uri.UnescapeDataString(part), out var c, out error)) return false;
                list.Add(c);
            }
            list.Sort((a, b) => VersionComparer.Compare(a.Version, b.Version, scheme));
            range = new VersionRange(t, scheme, [list], vers: true, all: false);
            error = null;
            return true;
        }
        if (t == "*") { range = All(defaultScheme); error = null; return true; }
        var alternatives = new List<IReadOnlyList<VersionConstraint>>();
        foreach (var alternative in t.Split("||"))
        {
            var all = new List<VersionConstraint>();
            foreach (var part in alternative.Split(',', StringSplitOptions.TrimEntries))
            {
                if (part.Length == 0) { error = $"empty constraint in version range '{t}'"; return false; }
                if (!TryConstraint(part, out var c, out error)) return false;
                all.Add(c);
            }
            if (all.Count == 0) { error = $"empty alternative in version range '{t}'"; return false; }
            alternatives.Add(all);
        }
        range = new VersionRange(t, defaultScheme, alternatives, vers: false, all: false);
        error = null;
        return true;
    }

    public bool Contains(string version)
    {
        if (_all) return true;
        return _vers ? VersContains(_alternatives[0], version) : _alternatives.Any(a => a.All(c => Holds(c, version)));
    }

    public override string ToString() => Text;

    private bool Holds(VersionConstraint c, string version)
    {
        var cmp = VersionComparer.Compare(version, c.Version, Scheme);
        return c.Operator switch
        {
            VersionOperator.Equal => cmp == 0,
            VersionOperator.NotEqual => cmp != 0,
            VersionOperator.Less => cmp < 0,
            VersionOperator.LessOrEqual => cmp <= 0,
            VersionOperator.Greater => cmp > 0,
            _ => cmp >= 0,
        };
    }

    /// <summary>The vers containment algorithm: equality and exclusions first, then the sorted bounds pairwise.</summary>
    private bool VersContains(IReadOnlyList<VersionConstraint> constraints, string version)
    {
        foreach (var c in constraints)
        {
            var cmp = VersionComparer.Compare(version, c.Version, Scheme);
            if (c.Operator == VersionOperator.NotEqual && cmp == 0) return false;
            if (c.Operator is VersionOperator.Equal or VersionOperator.LessOrEqual or VersionOperator.GreaterOrEqual && cmp == 0) return true;
        }
        var bounds = constraints.Where(c => c.Operator is not (VersionOperator.Equal or VersionOperator.NotEqual)).ToList();
        if (bounds.Count == 0) return false;
        if (bounds[0].Operator is VersionOperator.Less or VersionOperator.LessOrEqual && Holds(bounds[0], version)) return true;
        if (bounds[^1].Operator is VersionOperator.Greater or VersionOperator.GreaterOrEqual && Holds(bounds[^1], version)) return true;
        for (var i = 0; i + 1 < bounds.Count; i++)
        {
            var (lower, upper) = (bounds[i], bounds[i + 1]);
            if (lower.Operator is VersionOperator.Greater or VersionOperator.GreaterOrEqual
                && upper.Operator is VersionOperator.Less or VersionOperator.LessOrEqual
                && Holds(lower, version) && Holds(upper, version))
                return true;
        }
        return false;
    }

    private static bool TryConstraint(string text, [NotNullWhen(true)] out VersionConstraint? constraint, [NotNullWhen(false)] out string? error)
    {
        constraint = null;
        var (op, length) = text switch
        {
            _ when text.StartsWith(">=", StringComparison.Ordinal) => (VersionOperator.GreaterOrEqual, 2),
            _ when text.StartsWith("<=", StringComparison.Ordinal) => (VersionOperator.LessOrEqual, 2),
            _ when text.StartsWith("!=", StringComparison.Ordinal) => (VersionOperator.NotEqual, 2),
            _ when text.StartsWith('>') => (VersionOperator.Greater, 1),
            _ when text.StartsWith('<') => (VersionOperator.Less, 1),
            _ when text.StartsWith('=') => (VersionOperator.Equal, 1),
            _ => (VersionOperator.Equal, 0),
        };
        var version = text[length..].Trim();
        if (version.Length == 0 || version.Any(c => char.IsWhiteSpace(c) || c is '<' or '>' or '=' or '!' or '|' or ','))
        {
            error = $"'{text}' is not a version constraint";
            return false;
        }
        constraint = new VersionConstraint(op, version);
        error = null;
        return true;
    }
}
