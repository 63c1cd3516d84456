using System.Collections.Concurrent;

namespace Attest.Server.Telemetry;

/// <summary>
/// Keeps a label's values a bounded set: a value is used as it is only if it looks like a code or host
/// (<c>[a-z0-9.:_-]</c>, brackets for IPv6, at most 64 characters) and is among the first <c>capacity</c> distinct values seen; anything
/// else is <c>other</c>. A label that something outside Attest influences (a registry redirect host, a reason code
/// quoted from an answer) can then never grow the series count without bound.
/// </summary>
internal sealed class BoundedLabel(int capacity)
{
    public const string Other = "other";

    private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);

    public string Of(string value)
    {
        if (_seen.ContainsKey(value)) return value;
        if (!LooksLikeLabel(value)) return Other;
        lock (_seen)
        {
            if (_seen.Count >= capacity) return Other;
            _seen.TryAdd(value, true);
            return value;
        }
    }

    private static bool LooksLikeLabel(string value)
    {
        if (value.Length is 0 or > 64) return false;
        foreach (var c in value)
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or ':' or '_' or '-' or '[' or ']')) return false;
        return true;
    }
}
