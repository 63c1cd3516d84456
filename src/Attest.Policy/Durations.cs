using System.Globalization;

namespace Attest.Policy;

/// <summary>Durations as policy files and the CLI write them: <c>720h</c>, <c>30m</c>, <c>45s</c>, <c>7d</c>
/// (one number, one unit), at most 100 years: anything longer means "never" and is a mistake.</summary>
public static class Durations
{
    public static readonly TimeSpan Max = TimeSpan.FromDays(36500);

    /// <summary>Longer text is no duration; read by hand, not by a regular expression, whose time limit a loaded
    /// machine can exceed on the simplest input (an exception instead of an answer).</summary>
    private const int MaxLength = 32;

    /// <summary>The duration, or an error sentence ("must be a duration such as 720h, …").</summary>
    public static bool TryParse(string text, out TimeSpan duration, out string error)
    {
        duration = default;
        if (text.Length is < 2 or > MaxLength || !IsDecimal(text.AsSpan(0, text.Length - 1))
            || !double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            error = $"must be a duration such as 720h, 30m, 45s or 7d, not '{(text.Length > MaxLength ? text[..MaxLength] + "…" : text)}'";
            return false;
        }
        double unit = text[^1] switch
        {
            'd' => 86400,
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => 0,
        };
        if (unit == 0)
        {
            error = $"must be a duration such as 720h, 30m, 45s or 7d, not '{text}'";
            return false;
        }
        var seconds = amount * unit;
        if (seconds > Max.TotalSeconds)
        {
            error = $"must be at most {Max.TotalDays:0} days, not '{text}'";
            return false;
        }
        duration = TimeSpan.FromSeconds(seconds);
        error = "";
        return true;
    }

    /// <summary>Digits, optionally a point and more digits (<c>1</c>, <c>1.5</c>; not <c>.5</c>, <c>1.</c>, <c>-1</c>).</summary>
    private static bool IsDecimal(ReadOnlySpan<char> text)
    {
        var point = text.IndexOf('.');
        var whole = point < 0 ? text : text[..point];
        var fraction = point < 0 ? [] : text[(point + 1)..];
        return whole.Length > 0 && !whole.ContainsAnyExceptInRange('0', '9')
               && (point < 0 || (fraction.Length > 0 && !fraction.ContainsAnyExceptInRange('0', '9')));
    }
}
