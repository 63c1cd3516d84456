namespace Attest.Cel.Checking;

/// <summary>One signature of a function: receiver style or global, parameter types, result.</summary>
internal sealed record Overload(bool Receiver, CelType[] Parameters, CelType Result);

/// <summary>The standard functions' signatures (cel-spec langdef.md, "Standard Definitions"), for the type checker.
/// Generic operators (equality, indexing, <c>in</c>, list concatenation, the conditional) are typed by the checker itself.</summary>
internal static class Overloads
{
    private static readonly CelType I = CelType.Int, U = CelType.Uint, D = CelType.Double, S = CelType.String, B = CelType.Bytes,
        Bo = CelType.Bool, Ts = CelType.Timestamp, Du = CelType.Duration, Dyn = CelType.Dyn;

    public static readonly string[] TimestampGetters =
        ["getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getHours", "getMinutes", "getSeconds", "getMilliseconds"];

    public static readonly IReadOnlyDictionary<string, Overload[]> Table = Build();

    private static Dictionary<string, Overload[]> Build()
    {
        var table = new Dictionary<string, List<Overload>>(StringComparer.Ordinal);
        void Add(string name, bool receiver, CelType result, params CelType[] parameters)
        {
            if (!table.TryGetValue(name, out var list)) table[name] = list = [];
            list.Add(new Overload(receiver, parameters, result));
        }
        foreach (var t in new[] { I, U, D }) { Add("_+_", false, t, t, t); Add("_-_", false, t, t, t); Add("_*_", false, t, t, t); Add("_/_", false, t, t, t); }
        Add("_%_", false, I, I, I);
        Add("_%_", false, U, U, U);
        Add("_+_", false, S, S, S);
        Add("_+_", false, B, B, B);
        Add("_+_", false, Ts, Ts, Du);
        Add("_+_", false, Ts, Du, Ts);
        Add("_+_", false, Du, Du, Du);
        Add("_-_", false, Du, Ts, Ts);
        Add("_-_", false, Ts, Ts, Du);
        Add("_-_", false, Du, Du, Du);
        Add("-_", false, I, I);
        Add("-_", false, D, D);
        Add("!_", false, Bo, Bo);
        foreach (var op in new[] { "_<_", "_<=_", "_>_", "_>=_" })
        {
            foreach (var a in new[] { I, U, D })
                foreach (var b in new[] { I, U, D })
                    Add(op, false, Bo, a, b);
            foreach (var t in new[] { S, B, Bo, Ts, Du }) Add(op, false, Bo, t, t);
        }
        foreach (var t in new[] { S, B, CelType.ListOf(Dyn), CelType.MapOf(Dyn, Dyn) })
        {
            Add("size", false, I, t);
            Add("size", true, I, t);
        }
        foreach (var name in new[] { "contains", "startsWith", "endsWith", "matches" }) Add(name, true, Bo, S, S);
        Add("matches", false, Bo, S, S);
        foreach (var t in new[] { I, U, D, S, Ts }) Add("int", false, I, t);
        foreach (var t in new[] { I, U, D, S }) Add("uint", false, U, t);
        foreach (var t in new[] { I, U, D, S }) Add("double", false, D, t);
        foreach (var t in new[] { I, U, D, S, B, Bo, Ts, Du }) Add("string", false, S, t);
        foreach (var t in new[] { B, S }) Add("bytes", false, B, t);
        foreach (var t in new[] { Bo, S }) Add("bool", false, Bo, t);
        foreach (var t in new[] { S, Ts, I }) Add("timestamp", false, Ts, t);
        foreach (var t in new[] { S, Du }) Add("duration", false, Du, t);
        Add("type", false, CelType.Type, Dyn);
        Add("dyn", false, Dyn, Dyn);
        foreach (var getter in TimestampGetters)
        {
            Add(getter, true, I, Ts);
            Add(getter, true, I, Ts, S);
        }
        foreach (var getter in new[] { "getHours", "getMinutes", "getSeconds", "getMilliseconds" }) Add(getter, true, I, Du);
        return table.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }
}
