using System.Globalization;
using System.Text.RegularExpressions;

namespace Attest.Cel;

/// <summary>Timestamps and durations: parsing (RFC 3339; Go duration syntax), formatting, ranges and time zones.</summary>
internal static partial class CelTime
{
    /// <summary>CEL timestamps span years 0001 to 9999 (google.protobuf.Timestamp).</summary>
    public static readonly DateTimeOffset Min = new(1, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset Max = new DateTimeOffset(9999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero).AddTicks(9999);

    /// <summary>Durations span what 64 bits of nanoseconds hold (about ±292 years), as CEL's reference implementation
    /// and the conformance tests have it.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromTicks(long.MaxValue / 100);

    public static bool InRange(DateTimeOffset time) => time >= Min && time <= Max;

    public static bool InRange(TimeSpan duration) => duration <= MaxDuration && duration >= -MaxDuration;

    public static object ParseTimestamp(string text)
    {
        var match = Rfc3339().Match(text);
        if (!match.Success) return new CelError($"timestamp('{text}'): not an RFC 3339 date-time");
        // .NET keeps 100 ns ticks: fractional digits past the seventh are dropped.
        var fraction = match.Groups[1].Value;
        var trimmed = fraction.Length > 8 ? text.Remove(match.Groups[1].Index + 8, fraction.Length - 8) : text;
        if (!DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            return new CelError($"timestamp('{text}'): not an RFC 3339 date-time");
        return parsed.ToUniversalTime();
    }

    public static string FormatTimestamp(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        var text = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var fraction = utc.Ticks % TimeSpan.TicksPerSecond;
        if (fraction != 0) text += "." + fraction.ToString("D7", CultureInfo.InvariantCulture).TrimEnd('0');
        return text + "Z";
    }

    public static string FormatDuration(TimeSpan duration)
    {
        var seconds = duration.Ticks / (decimal)TimeSpan.TicksPerSecond;
        return seconds.ToString("0.#########", CultureInfo.InvariantCulture) + "s";
    }

    /// <summary>Go's time.ParseDuration syntax: an optional sign, then one or more decimal numbers with units h, m, s, ms, us (µs), ns.</summary>
    public static object ParseDuration(string text)
    {
        var fail = new CelError($"duration('{text}'): not a duration such as '1h30m' or '2.5s'");
        if (text.Length is 0 or > 64) return fail;
        var i = 0;
        var negative = false;
        if (text[0] is '-' or '+')
        {
            negative = text[0] == '-';
            i++;
        }
        if (i == text.Length) return fail;
        if (text[i..] == "0") return TimeSpan.Zero;
        decimal totalNanos = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
            if (i == start || !decimal.TryParse(text[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return fail;
            var unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.') i++;
            decimal? scale = text[unitStart..i] switch
            {
                "h" => 3_600_000_000_000m, "m" => 60_000_000_000m, "s" => 1_000_000_000m, "ms" => 1_000_000m,
                "us" or "µs" or "μs" => 1_000m, "ns" => 1m, _ => null,
            };
            if (scale is null) return fail;
            try
            {
                totalNanos += number * scale.Value;
            }
            catch (OverflowException)
            {
                return new CelError($"duration('{text}') is out of range");
            }
        }
        if (negative) totalNanos = -totalNanos;
        var ticks = totalNanos / 100m;
        if (Math.Abs(ticks) > MaxDuration.Ticks) return new CelError($"duration('{text}') is out of range");
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The time in a zone: "UTC", an IANA name, or a fixed offset "+05:30" / "-08:00".</summary>
    public static object InZone(DateTimeOffset time, string zone)
    {
        if (zone.Length > 0 && (zone[0] is '+' or '-' || char.IsAsciiDigit(zone[0])))
        {
            var text = zone[0] is '+' or '-' ? zone[1..] : zone;
            if (!TimeSpan.TryParseExact(text, "hh\\:mm", CultureInfo.InvariantCulture, out var offset)) return new CelError($"'{zone}' is not a time zone");
            return time.ToOffset(zone[0] == '-' ? -offset : offset);
        }
        try
        {
            return TimeZoneInfo.ConvertTime(time, TimeZoneInfo.FindSystemTimeZoneById(zone == "UTC" ? "Etc/UTC" : zone));
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return zone == "UTC" ? time.ToUniversalTime() : new CelError($"'{zone}' is not a time zone");
        }
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex Rfc3339();
}
