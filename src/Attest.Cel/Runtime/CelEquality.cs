namespace Attest.Cel;

/// <summary>CEL's heterogeneous equality and ordering (cel-spec langdef.md, "Equality" and "Ordering"): numbers compare by
/// value across int, uint and double; values of different types are unequal (not an error); lists and maps compare
/// element by element.</summary>
internal static class CelEquality
{
    public static bool AreEqual(object a, object b)
    {
        if (IsNumber(a) && IsNumber(b)) return CompareNumbers(a, b) == 0;
        switch (a)
        {
            case CelNull: return b is CelNull;
            case bool x: return b is bool yb && x == yb;
            case string x: return b is string ys && string.Equals(x, ys, StringComparison.Ordinal);
            case CelBytes x: return x.Equals(b as CelBytes);
            case DateTimeOffset x: return b is DateTimeOffset yt && x == yt;
            case TimeSpan x: return b is TimeSpan yd && x == yd;
            case CelTypeValue x: return x.Equals(b as CelTypeValue);
            case CelList x:
            {
                if (b is not CelList yl || x.Count != yl.Count) return false;
                for (var i = 0; i < x.Count; i++)
                    if (!AreEqual(x[i], yl[i])) return false;
                return true;
            }
            case CelMap x:
            {
                if (b is not CelMap ym || x.Count != ym.Count) return false;
                foreach (var key in x.Keys)
                {
                    if (!ym.TryGetValue(key, out var other) || !x.TryGetValue(key, out var mine) || !AreEqual(mine, other)) return false;
                }
                return true;
            }
            default:
                return false;
        }
    }

    public static bool IsNumber(object value) => value is long or ulong or double;

    /// <summary>Exact comparison of two numbers of any numeric type; null when either is NaN.</summary>
    public static int? CompareNumbers(object a, object b)
    {
        switch (a, b)
        {
            case (long x, long y): return x.CompareTo(y);
            case (ulong x, ulong y): return x.CompareTo(y);
            case (long x, ulong y): return x < 0 ? -1 : ((ulong)x).CompareTo(y);
            case (ulong x, long y): return y < 0 ? 1 : x.CompareTo((ulong)y);
            case (double x, double y): return double.IsNaN(x) || double.IsNaN(y) ? null : x.CompareTo(y);
            case (double x, long y): return CompareDoubleToLong(x, y);
            case (long x, double y): return -CompareDoubleToLong(y, x);
            case (double x, ulong y): return CompareDoubleToUlong(x, y);
            case (ulong x, double y): return -CompareDoubleToUlong(y, x);
            default: return null;
        }
    }

    /// <summary>An int or uint meets a double as a double, as the specification's conformance tests expect
    /// (9223372036854775807 and 9223372036854775808.0 compare equal).</summary>
    private static int? CompareDoubleToLong(double d, long l) => double.IsNaN(d) ? null : d.CompareTo((double)l);

    private static int? CompareDoubleToUlong(double d, ulong u) => double.IsNaN(d) ? null : d.CompareTo((double)u);

    /// <summary>Ordering for &lt;, &lt;=, &gt;, &gt;=; null when the two values have no order (other types, or NaN).</summary>
    public static int? Compare(object a, object b)
    {
        if (IsNumber(a) && IsNumber(b)) return CompareNumbers(a, b);
        return (a, b) switch
        {
            (string x, string y) => Math.Sign(CompareCodePoints(x, y)),
            (CelBytes x, CelBytes y) => Math.Sign(x.Value.AsSpan().SequenceCompareTo(y.Value)),
            (bool x, bool y) => x.CompareTo(y),
            (DateTimeOffset x, DateTimeOffset y) => x.CompareTo(y),
            (TimeSpan x, TimeSpan y) => x.CompareTo(y),
            _ => null,
        };
    }

    /// <summary>Strings order by Unicode code point (UTF-16 ordinal order differs for characters beyond the BMP).</summary>
    private static int CompareCodePoints(string x, string y)
    {
        var a = x.EnumerateRunes().GetEnumerator();
        var b = y.EnumerateRunes().GetEnumerator();
        while (true)
        {
            var hasA = a.MoveNext();
            var hasB = b.MoveNext();
            if (!hasA || !hasB) return hasA ? 1 : hasB ? -1 : 0;
            var c = a.Current.Value.CompareTo(b.Current.Value);
            if (c != 0) return c;
        }
    }
}
