using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Attest.Cel;

/// <summary>The standard functions and operators (cel-spec langdef.md, "Standard Definitions") at evaluation time:
/// integer arithmetic that reports overflow, division by zero and out-of-range conversions as errors; strings measured
/// in code points; regular expressions matched by .NET's linear-time (non-backtracking) engine with a time limit.</summary>
internal static class CelFunctions
{
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    private static readonly Dictionary<string, CelTypeValue> Types = new[]
    {
        "int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
        "google.protobuf.Timestamp", "google.protobuf.Duration",
    }.ToDictionary(n => n, n => new CelTypeValue(n), StringComparer.Ordinal);

    public static CelTypeValue? TypeValue(string name) => Types.GetValueOrDefault(name);

    public static object Invoke(CelInterpreter context, string function, bool receiver, object[] args)
    {
        switch (function, args.Length)
        {
            case ("_+_", 2): return Add(context, args[0], args[1]);
            case ("_-_", 2): return Subtract(args[0], args[1]);
            case ("_*_", 2): return Arithmetic(args[0], args[1], "*", (a, b) => checked(a * b), (a, b) => checked(a * b), (a, b) => a * b);
            case ("_/_", 2): return Divide(args[0], args[1]);
            case ("_%_", 2): return Modulo(args[0], args[1]);
            case ("-_", 1):
                return args[0] switch
                {
                    long l => l == long.MinValue ? new CelError("integer overflow") : -l,
                    double d => -d,
                    _ => NoOverload("-", args),
                };
            case ("!_", 1): return args[0] is bool b ? !b : NoOverload("!", args);
            case ("_==_", 2): context.Spend(Size(args[0])); return CelEquality.AreEqual(args[0], args[1]);
            case ("_!=_", 2): context.Spend(Size(args[0])); return !CelEquality.AreEqual(args[0], args[1]);
            case ("_<_", 2): return Order(args, "<", c => c < 0);
            case ("_<=_", 2): return Order(args, "<=", c => c <= 0);
            case ("_>_", 2): return Order(args, ">", c => c > 0);
            case ("_>=_", 2): return Order(args, ">=", c => c >= 0);
            case ("_[_]", 2): return Index(args[0], args[1]);
            case ("@in", 2): return In(context, args[0], args[1]);
            case ("size", 1): return SizeOf(args[0]);
            case ("contains", 2) when receiver: return StringTest(context, args, "contains", (s, t) => s.Contains(t, StringComparison.Ordinal));
            case ("startsWith", 2) when receiver: return StringTest(context, args, "startsWith", (s, t) => s.StartsWith(t, StringComparison.Ordinal));
            case ("endsWith", 2) when receiver: return StringTest(context, args, "endsWith", (s, t) => s.EndsWith(t, StringComparison.Ordinal));
            case ("matches", 2): return Matches(context, args);
            case ("int", 1): return ToInt(args[0]);
            case ("uint", 1): return ToUint(args[0]);
            case ("double", 1): return ToDouble(args[0]);
            case ("string", 1): return ToText(args[0]);
            case ("bytes", 1): return args[0] switch { CelBytes already => already, string s => new CelBytes(Encoding.UTF8.GetBytes(s)), _ => NoOverload("bytes", args) };
            case ("bool", 1): return ToBool(args[0]);
            case ("type", 1): return new CelTypeValue(CelFormat.TypeName(args[0]));
            case ("dyn", 1): return args[0];
            case ("timestamp", 1):
                return args[0] switch
                {
                    DateTimeOffset t => t,
                    string s => CelTime.ParseTimestamp(s),
                    long seconds when seconds >= CelTime.Min.ToUnixTimeSeconds() && seconds <= CelTime.Max.ToUnixTimeSeconds() => DateTimeOffset.FromUnixTimeSeconds(seconds),
                    long => new CelError("timestamp out of range"),
                    _ => NoOverload("timestamp", args),
                };
            case ("duration", 1): return args[0] switch { TimeSpan d => d, string s => CelTime.ParseDuration(s), _ => NoOverload("duration", args) };
        }
        if (receiver && args[0] is DateTimeOffset time && args.Length <= 2) return TimestampPart(function, time, args);
        if (receiver && args[0] is TimeSpan duration && args.Length == 1) return DurationPart(function, duration, args);
        return NoOverload(function, args);
    }

    private static CelError NoOverload(string function, object[] args) =>
        new($"no matching overload for '{function}' applied to ({string.Join(", ", args.Select(CelFormat.TypeName))})");

    private static long Size(object value) => value switch
    {
        string s => s.Length,
        CelBytes b => b.Value.Length,
        CelList l => l.Count,
        CelMap m => m.Count,
        _ => 1,
    };

    private static object Add(CelInterpreter context, object a, object b)
    {
        switch (a, b)
        {
            case (string x, string y):
                context.Spend(x.Length + y.Length);
                return x.Length + y.Length > context.Limits.MaxCollectionSize ? new CelError($"a string would exceed {context.Limits.MaxCollectionSize} characters") : x + y;
            case (CelBytes x, CelBytes y):
                context.Spend(x.Value.Length + y.Value.Length);
                return x.Value.Length + y.Value.Length > context.Limits.MaxCollectionSize ? new CelError("bytes too large") : new CelBytes([.. x.Value, .. y.Value]);
            case (CelList x, CelList y):
                context.Spend(x.Count + y.Count);
                return x.Count + y.Count > context.Limits.MaxCollectionSize
                    ? new CelError($"a list would exceed {context.Limits.MaxCollectionSize} elements")
                    : CelList.Of([.. x.Items(), .. y.Items()]);
            case (DateTimeOffset t, TimeSpan d): return Timestamp(t, d);
            case (TimeSpan d, DateTimeOffset t): return Timestamp(t, d);
            case (TimeSpan x, TimeSpan y): return Duration(x, y, 1);
            default: return Arithmetic(a, b, "+", (x, y) => checked(x + y), (x, y) => checked(x + y), (x, y) => x + y);
        }
    }

    private static object Subtract(object a, object b) => (a, b) switch
    {
        (DateTimeOffset x, DateTimeOffset y) => CelTime.InRange(x - y) ? x - y : new CelError("duration out of range"),
        (DateTimeOffset t, TimeSpan d) => d == TimeSpan.MinValue ? new CelError("timestamp out of range") : Timestamp(t, -d),
        (TimeSpan x, TimeSpan y) => Duration(x, y, -1),
        _ => Arithmetic(a, b, "-", (x, y) => checked(x - y), (x, y) => checked(x - y), (x, y) => x - y),
    };

    private static object Timestamp(DateTimeOffset time, TimeSpan delta)
    {
        try
        {
            var result = time + delta;
            return CelTime.InRange(result) ? result : new CelError("timestamp out of range");
        }
        catch (ArgumentOutOfRangeException)
        {
            return new CelError("timestamp out of range");
        }
    }

    private static object Duration(TimeSpan a, TimeSpan b, int sign)
    {
        try
        {
            var result = sign > 0 ? a + b : a - b;
            return CelTime.InRange(result) ? result : new CelError("duration out of range");
        }
        catch (OverflowException)
        {
            return new CelError("duration out of range");
        }
    }

    private static object Arithmetic(object a, object b, string op, Func<long, long, long> ints, Func<ulong, ulong, ulong> uints, Func<double, double, double> doubles)
    {
        try
        {
            return (a, b) switch
            {
                (long x, long y) => ints(x, y),
                (ulong x, ulong y) => uints(x, y),
                (double x, double y) => doubles(x, y),
                _ => NoOverload(op, [a, b]),
            };
        }
        catch (OverflowException)
        {
            return new CelError(a is ulong ? "unsigned integer overflow" : "integer overflow");
        }
    }

    private static object Divide(object a, object b) => (a, b) switch
    {
        (long _, 0L) or (ulong _, 0UL) => new CelError("division by zero"),
        (long x, -1L) when x == long.MinValue => new CelError("integer overflow"),
        _ => Arithmetic(a, b, "/", (x, y) => x / y, (x, y) => x / y, (x, y) => x / y),
    };

    private static object Modulo(object a, object b) => (a, b) switch
    {
        (long _, 0L) or (ulong _, 0UL) => new CelError("modulus by zero"),
        (long x, -1L) when x == long.MinValue => new CelError("integer overflow"),
        (long x, long y) => x % y,
        (ulong x, ulong y) => x % y,
        _ => NoOverload("%", [a, b]),
    };

    private static object Order(object[] args, string op, Func<int, bool> test) =>
        CelEquality.Compare(args[0], args[1]) is { } c ? test(c)
        : CelEquality.IsNumber(args[0]) && CelEquality.IsNumber(args[1]) ? false // NaN compares false
        : NoOverload(op, args);

    private static object Index(object container, object key)
    {
        switch (container)
        {
            case CelList list:
            {
                long? i = key switch
                {
                    long l => l,
                    ulong u when u <= long.MaxValue => (long)u,
                    double d when Math.Floor(d) == d && d >= long.MinValue && d < 9.2233720368547758E18 => (long)d,
                    _ => null,
                };
                if (i is null) return key is long or ulong or double ? new CelError($"invalid list index {CelFormat.Describe(key)}") : NoOverload("[]", [container, key]);
                return i >= 0 && i < list.Count ? list[(int)i] : new CelError($"index out of range: {i}");
            }
            case CelMap map:
                if (key is not (bool or long or ulong or string or double)) return NoOverload("[]", [container, key]);
                return map.TryGetValue(key, out var value) ? value : new CelError($"no such key: {CelFormat.Describe(key)}");
            default:
                return NoOverload("[]", [container, key]);
        }
    }

    private static object In(CelInterpreter context, object element, object container)
    {
        switch (container)
        {
            case CelList list:
                context.Spend(list.Count);
                foreach (var item in list.Items())
                    if (CelEquality.AreEqual(element, item)) return true;
                return false;
            case CelMap map:
                return element is bool or long or ulong or string or double && map.TryGetValue(element, out _);
            default:
                return NoOverload("in", [element, container]);
        }
    }

    private static object SizeOf(object value) => value switch
    {
        string s => (long)s.EnumerateRunes().Count(),
        CelBytes b => (long)b.Value.Length,
        CelList l => (long)l.Count,
        CelMap m => (long)m.Count,
        _ => NoOverload("size", [value]),
    };

    private static object StringTest(CelInterpreter context, object[] args, string name, Func<string, string, bool> test)
    {
        if (args is not [string s, string t]) return NoOverload(name, args);
        context.Spend(s.Length + t.Length);
        return test(s, t);
    }

    private static object Matches(CelInterpreter context, object[] args)
    {
        if (args is not [string text, string pattern]) return NoOverload("matches", args);
        context.Spend(text.Length + pattern.Length);
        Regex regex;
        try
        {
            if (!Patterns.TryGetValue(pattern, out regex!))
            {
                regex = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, context.Limits.RegexTimeout);
                if (Patterns.Count < 1024) Patterns.TryAdd(pattern, regex);
            }
        }
        catch (ArgumentException e)
        {
            return new CelError($"invalid regular expression '{pattern}': {e.Message}");
        }
        try
        {
            return regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return new CelError($"the regular expression '{pattern}' took too long");
        }
    }

    private static object ToInt(object value)
    {
        switch (value)
        {
            case long l: return l;
            case ulong u: return u <= long.MaxValue ? (long)u : new CelError("integer overflow");
            case double d:
                return double.IsFinite(d) && d > -9.2233720368547758E18 && d < 9.2233720368547758E18 ? (long)d : new CelError("integer overflow");
            case string s:
                return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed : new CelError($"cannot convert '{s}' to int");
            case DateTimeOffset t:
                return t.ToUnixTimeSeconds();
            default:
                return NoOverload("int", [value]);
        }
    }

    private static object ToUint(object value)
    {
        switch (value)
        {
            case ulong u: return u;
            case long l: return l >= 0 ? (ulong)l : new CelError("unsigned integer overflow");
            case double d: return double.IsFinite(d) && d > -1 && d < 1.8446744073709552E19 ? (ulong)d : new CelError("unsigned integer overflow");
            case string s:
                return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : new CelError($"cannot convert '{s}' to uint");
            default:
                return NoOverload("uint", [value]);
        }
    }

    private static object ToDouble(object value)
    {
        switch (value)
        {
            case double d: return d;
            case long l: return (double)l;
            case ulong u: return (double)u;
            case string s:
                var lower = s.ToLowerInvariant();
                if (lower is "inf" or "+inf" or "infinity" or "+infinity") return double.PositiveInfinity;
                if (lower is "-inf" or "-infinity") return double.NegativeInfinity;
                if (lower == "nan") return double.NaN;
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : new CelError($"cannot convert '{s}' to double");
            default:
                return NoOverload("double", [value]);
        }
    }

    private static object ToText(object value)
    {
        switch (value)
        {
            case string s: return s;
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case ulong u: return u.ToString(CultureInfo.InvariantCulture);
            case double d: return FormatDouble(d);
            case bool b: return b ? "true" : "false";
            case CelBytes bytes:
                try
                {
                    return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.Value);
                }
                catch (DecoderFallbackException)
                {
                    return new CelError("the bytes are not valid UTF-8");
                }
            case DateTimeOffset t: return CelTime.FormatTimestamp(t);
            case TimeSpan d: return CelTime.FormatDuration(d);
            default: return NoOverload("string", [value]);
        }
    }

    /// <summary>Shortest round-trip form, as Go's strconv.FormatFloat(d, 'g', -1, 64) writes it for typical values.</summary>
    private static string FormatDouble(double d)
    {
        if (double.IsPositiveInfinity(d)) return "+Inf";
        if (double.IsNegativeInfinity(d)) return "-Inf";
        if (double.IsNaN(d)) return "NaN";
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        if (e < 0) return text;
        var exponent = int.Parse(text[(e + 1)..], CultureInfo.InvariantCulture);
        return text[..e] + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
    }

    private static object ToBool(object value) => value switch
    {
        bool b => b,
        string s => s switch
        {
            "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
            "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
            _ => new CelError($"cannot convert '{s}' to bool"),
        },
        _ => NoOverload("bool", [value]),
    };

    private static object TimestampPart(string function, DateTimeOffset time, object[] args)
    {
        var local = time.ToUniversalTime();
        if (args.Length == 2)
        {
            if (args[1] is not string zone) return NoOverload(function, args);
            var converted = CelTime.InZone(time, zone);
            if (converted is CelError) return converted;
            local = (DateTimeOffset)converted;
        }
        return function switch
        {
            "getFullYear" => (long)local.Year,
            "getMonth" => (long)local.Month - 1,
            "getDate" => (long)local.Day,
            "getDayOfMonth" => (long)local.Day - 1,
            "getDayOfWeek" => (long)local.DayOfWeek,
            "getDayOfYear" => (long)local.DayOfYear - 1,
            "getHours" => (long)local.Hour,
            "getMinutes" => (long)local.Minute,
            "getSeconds" => (long)local.Second,
            "getMilliseconds" => (long)local.Millisecond,
            _ => NoOverload(function, args),
        };
    }

    private static object DurationPart(string function, TimeSpan duration, object[] args) => function switch
    {
        "getHours" => (long)duration.TotalHours,
        "getMinutes" => (long)duration.TotalMinutes,
        "getSeconds" => (long)duration.TotalSeconds,
        "getMilliseconds" => (long)duration.TotalMilliseconds,
        _ => NoOverload(function, args),
    };
}
