using System.Globalization;
using System.Text.RegularExpressions;

namespace Attest.Policy;

/// <summary>Durations as policy files and the CLI write them: <c>720h</c>, <c>30m</c>, <c>45s</c>, <c>7d</c>
/// (one number, one unit), at most 100 years: anything longer means "never" and is a mistake.</summary>
public static partial class Durations
{
    public static readonly TimeSpan Max = TimeSpan.FromDays(36500);

    /// <summary>The duration, or an error sentence ("must be a duration such as 720h, …").</summary>
    public static bool TryParse(string text, out TimeSpan duration, out string error)
    {
        duration = default;
        var match = Pattern().Match(text);
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
        {
            error = $"must be a duration such as 720h, 30m, 45s or 7d, not '{text}'";
            return false;
        }
        var seconds = amount * match.Groups[2].Value switch
        {
            "d" => 86400,
            "h" => 3600,
            "m" => 60,
            _ => 1,
        };
        if (seconds > Max.TotalSeconds)
        {
            error = $"must be at most {Max.TotalDays:0} days, not '{text}'";
            return false;
        }
        duration = TimeSpan.FromSeconds(seconds);
        error = "";
        return true;
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)(d|h|m|s)$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Pattern();
}
