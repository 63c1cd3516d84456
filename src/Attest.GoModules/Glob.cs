namespace Attest.GoModules;

/// <summary>Go's <c>path.Match</c>: <c>*</c> matches a run of non-slash characters, <c>?</c> one non-slash
/// character, <c>[a-z]</c> / <c>[^a-z]</c> a class, <c>\</c> escapes. A malformed pattern matches nothing.</summary>
internal static class Glob
{
    public static bool Match(string pattern, string name) => Match(pattern.AsSpan(), name.AsSpan());

    private static bool Match(ReadOnlySpan<char> p, ReadOnlySpan<char> s)
    {
        while (p.Length > 0)
        {
            switch (p[0])
            {
                case '*':
                    var rest = p[1..];
                    for (var i = 0; i <= s.Length; i++)
                    {
                        if (Match(rest, s[i..])) return true;
                        if (i < s.Length && s[i] == '/') return false;
                    }
                    return false;
                case '?':
                    if (s.Length == 0 || s[0] == '/') return false;
                    p = p[1..];
                    s = s[1..];
                    break;
                case '[':
                    if (s.Length == 0 || s[0] == '/') return false;
                    var end = 1;
                    var negate = end < p.Length && p[end] == '^';
                    if (negate) end++;
                    var matched = false;
                    var first = true;
                    while (end < p.Length && (p[end] != ']' || first))
                    {
                        first = false;
                        var lo = p[end];
                        if (lo == '\\') { if (++end >= p.Length) return false; lo = p[end]; }
                        var hi = lo;
                        if (end + 2 < p.Length && p[end + 1] == '-' && p[end + 2] != ']')
                        {
                            end += 2;
                            hi = p[end];
                            if (hi == '\\') { if (++end >= p.Length) return false; hi = p[end]; }
                        }
                        if (lo <= s[0] && s[0] <= hi) matched = true;
                        end++;
                    }
                    if (end >= p.Length) return false;
                    if (matched == negate) return false;
                    p = p[(end + 1)..];
                    s = s[1..];
                    break;
                case '\\':
                    if (p.Length < 2 || s.Length == 0 || s[0] != p[1]) return false;
                    p = p[2..];
                    s = s[1..];
                    break;
                default:
                    if (s.Length == 0 || s[0] != p[0]) return false;
                    p = p[1..];
                    s = s[1..];
                    break;
            }
        }
        return s.Length == 0;
    }
}
