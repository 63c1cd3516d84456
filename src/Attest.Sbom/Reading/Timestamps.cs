using System.Globalization;
using System.Text.RegularExpressions;

namespace Attest.Sbom.Reading;

internal static partial class Timestamps
{
    // RFC 3339 date-time (JSON schema "format": "date-time"): full date, 'T', time, optional fraction, offset.
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex DateTimePattern();

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (text is null || text.Length > 64 || !DateTimePattern().IsMatch(text)) return false;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }
}
