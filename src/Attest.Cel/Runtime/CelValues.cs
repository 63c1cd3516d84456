using System.Text.Json;

namespace Attest.Cel;

/// <summary>CEL's <c>null</c>.</summary>
public sealed class CelNull
{
    public static readonly CelNull Value = new();

    private CelNull()
    {
    }

    public override string ToString() => "null";
}

/// <summary>A CEL <c>bytes</c> value (compared by content).</summary>
public sealed class CelBytes(byte[] value) : IEquatable<CelBytes>
{
    public byte[] Value { get; } = value;

    public bool Equals(CelBytes? other) => other is not null && Value.AsSpan().SequenceEqual(other.Value);

    public override bool Equals(object? obj) => Equals(obj as CelBytes);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Value);
        return hash.ToHashCode();
    }

    public override string ToString() => $"b'{Convert.ToHexStringLower(Value)}'";
}

/// <summary>A CEL type used as a value (<c>type(x)</c>, <c>int</c>, <c>list</c> …).</summary>
public sealed record CelTypeValue(string Name)
{
    public override string ToString() => Name;
}

/// <summary>An evaluation error carried as a value, so <c>&amp;&amp;</c>, <c>||</c> and the quantifier macros can absorb it
/// as the specification says (<c>false &amp;&amp; error</c> is false).</summary>
public sealed record CelError(string Message)
{
    public override string ToString() => $"error: {Message}";
}

/// <summary>A CEL list.</summary>
public abstract class CelList
{
    public abstract int Count { get; }

    public abstract object this[int index] { get; }

    public IEnumerable<object> Items()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    public static CelList Of(IReadOnlyList<object> items) => new ArrayList(items);

    private sealed class ArrayList(IReadOnlyList<object> items) : CelList
    {
        public override int Count => items.Count;

        public override object this[int index] => items[index];
    }
}

/// <summary>A CEL map (keys: bool, int, uint, string; int and uint keys of equal value are the same key).</summary>
public abstract class CelMap
{
    public abstract int Count { get; }

    public abstract IEnumerable<object> Keys { get; }

    public abstract bool TryGetValue(object key, out object value);

    public static CelMap Of(IReadOnlyList<KeyValuePair<object, object>> entries, out string? duplicate)
    {
        var map = new DictionaryMap();
        duplicate = null;
        foreach (var (key, value) in entries)
        {
            if (!map.TryAdd(key, value))
            {
                duplicate = $"duplicate map key {CelFormat.Describe(key)}";
                return map;
            }
        }
        return map;
    }

    /// <summary>Numeric keys of equal value are one key; a double key matches an integer key of its value.</summary>
    internal static object? Normalize(object key) => key switch
    {
        ulong u when u <= long.MaxValue => (long)u,
        double d when double.IsFinite(d) && Math.Floor(d) == d && d >= long.MinValue && d < 9.2233720368547758E18 => (long)d,
        double d when double.IsFinite(d) && Math.Floor(d) == d && d >= 0 && d < 1.8446744073709552E19 => (ulong)d,
        double => null,
        _ => key,
    };

    private sealed class DictionaryMap : CelMap
    {
        private readonly Dictionary<object, object> _values = new();
        private readonly List<object> _keys = [];

        public override int Count => _keys.Count;

        public override IEnumerable<object> Keys => _keys;

        public bool TryAdd(object key, object value)
        {
            if (!_values.TryAdd(Normalize(key)!, value)) return false;
            _keys.Add(key);
            return true;
        }

        public override bool TryGetValue(object key, out object value)
        {
            value = null!;
            return Normalize(key) is { } normalized && _values.TryGetValue(normalized, out value!);
        }
    }
}

/// <summary>JSON as CEL values, read lazily (an attestation predicate can be large and an expression reads little of
/// it): objects are maps with string keys, arrays lists, integers that fit in 64 bits <c>int</c>, other numbers
/// <c>double</c>, strings, booleans and null as themselves.</summary>
public static class CelJson
{
    public static object FromElement(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => new JsonMap(element),
        JsonValueKind.Array => new JsonList(element),
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.Number => element.TryGetInt64(out var l) ? l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => CelNull.Value,
    };

    private sealed class JsonMap(JsonElement element) : CelMap
    {
        private int _count = -1;

        public override int Count => _count >= 0 ? _count : _count = element.EnumerateObject().Count();

        public override IEnumerable<object> Keys => element.EnumerateObject().Select(p => (object)p.Name);

        public override bool TryGetValue(object key, out object value)
        {
            if (key is string name && element.TryGetProperty(name, out var property))
            {
                value = FromElement(property);
                return true;
            }
            value = null!;
            return false;
        }
    }

    private sealed class JsonList(JsonElement element) : CelList
    {
        private readonly int _count = element.GetArrayLength();

        public override int Count => _count;

        public override object this[int index] => FromElement(element[index]);
    }
}
