using System.Text;
using System.Text.RegularExpressions;

namespace Attest.Policy;

/// <summary>
/// A glob over '/'-separated names: <c>*</c> matches within one component, <c>**</c> across components, <c>?</c>
/// one character other than '/'. Matching is ordinal and whole-string; compiled once at policy load.
/// </summary>
public sealed class Glob
{
    private readonly Regex _regex;

    private Glob(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    public string Pattern { get; }

    public bool IsMatch(string value) => _regex.IsMatch(value);

    public override string ToString() => Pattern;

    public static Glob Compile(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                // "a/**" also matches "a" itself; "**/" matches zero or more leading components.
                if (i + 2 < pattern.Length && pattern[i + 2] == '/') { regex.Append("(?:.*/)?"); i += 2; }
                else if (i > 0 && pattern[i - 1] == '/' && i + 2 == pattern.Length) { regex.Length -= 1; regex.Append("(?:/.*)?"); i += 1; }
                else { regex.Append(".*"); i += 1; }
            }
            else if (c == '*') regex.Append("[^/]*");
            else if (c == '?') regex.Append("[^/]");
            else regex.Append(Regex.Escape(c.ToString()));
        }
        regex.Append('$');
        // Linear patterns only (no backreferences); the timeout is a second guard for pathological inputs.
        return new Glob(pattern, new Regex(regex.ToString(), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, TimeSpan.FromMilliseconds(100)));
    }
}
