using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Attest.Ledger;

namespace Attest.Server.Audit;

/// <summary>Strict reading of the auditors' query strings: unknown or repeated parameters, malformed numbers and
/// times are refused with a sentence naming the parameter, so a typo never silently widens a query.</summary>
internal sealed class AuditParameters
{
    private readonly IQueryCollection _query;

    private AuditParameters(IQueryCollection query) => _query = query;

    public string? Error { get; private set; }

    public static AuditParameters Read(HttpRequest request, params string[] allowed)
    {
        var parameters = new AuditParameters(request.Query);
        foreach (var (key, values) in request.Query)
        {
            if (!allowed.Contains(key, StringComparer.Ordinal))
            {
                parameters.Fail(allowed.Length == 0
                    ? $"unknown query parameter '{Clip(key)}' (this endpoint takes none)"
                    : $"unknown query parameter '{Clip(key)}' (expected {string.Join(", ", allowed)})");
                break;
            }
            if (values.Count > 1)
            {
                parameters.Fail($"query parameter '{key}' is given {values.Count} times; give it once");
                break;
            }
        }
        return parameters;
    }

    /// <summary>A text filter, at most <see cref="LedgerLimits.MaxFieldLength"/> characters; empty means absent.</summary>
    public string? Text(string name)
    {
        var value = Raw(name);
        if (value is null) return null;
        if (value.Length > LedgerLimits.MaxFieldLength)
            return Fail<string>($"'{name}' is {value.Length} characters long; the limit is {LedgerLimits.MaxFieldLength}");
        return value;
    }

    /// <summary>A non-negative integer within [min, max], or <paramref name="fallback"/> when absent.</summary>
    public long? Integer(string name, long min, long max, long? fallback = null)
    {
        var value = Raw(name);
        if (value is null) return fallback;
        if (value.Length > 20 || !value.All(char.IsAsciiDigit) ||
            !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return Fail<long?>($"'{name}' must be a non-negative integer, got '{Clip(value)}'");
        if (number < min || number > max)
            return Fail<long?>($"'{name}' must be between {min} and {max}, got {number}");
        return number;
    }

    /// <summary>An RFC 3339 time with an explicit offset (<c>2026-11-21T09:00:00Z</c>).</summary>
    public DateTimeOffset? Time(string name)
    {
        var value = Raw(name);
        if (value is null) return null;
        // An offset is required: a time without one would mean the server's zone, which the auditor cannot see.
        var hasOffset = value.Length > 10 && (value.EndsWith('Z') || value.EndsWith('z') || value[^6] is '+' or '-');
        if (value.Length > 40 || !hasOffset || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            return Fail<DateTimeOffset?>($"'{name}' must be an RFC 3339 time with an offset, such as 2026-11-21T09:00:00Z; got '{Clip(value)}'");
        return time;
    }

    public T? Fail<T>(string message)
    {
        Fail(message);
        return default;
    }

    public void Fail(string message) => Error ??= message;

    [MemberNotNullWhen(true, nameof(Error))]
    public bool Failed => Error is not null;

    private string? Raw(string name)
    {
        var value = _query[name];
        return value.Count == 0 || string.IsNullOrEmpty(value[0]) ? null : value[0];
    }

    private static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
