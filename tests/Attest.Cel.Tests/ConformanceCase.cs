using System.Globalization;
using System.Text;

namespace Attest.Cel.Tests;

/// <summary>One test of a cel-spec SimpleTestFile, with why it is outside Attest's subset when it is.</summary>
internal sealed record ConformanceCase(
    string File, string Section, string Name, string Expression, bool DisableCheck,
    IReadOnlyDictionary<string, CelType> Declarations, IReadOnlyDictionary<string, object> Bindings,
    object? ExpectedValue, bool ExpectError, string? OutsideSubset)
{
    public string Id => $"{File}/{Section}/{Name}";

    public static IEnumerable<ConformanceCase> Load(string file, string text)
    {
        var root = TextProto.Parse(text);
        foreach (var section in root.All("section").Cast<TextMessage>())
        {
            var sectionName = section.Text("name") ?? "";
            foreach (var test in section.All("test").Cast<TextMessage>())
                yield return FromTest(file, sectionName, test);
        }
    }

    private static ConformanceCase FromTest(string file, string section, TextMessage test)
    {
        var name = Utf8(test.One("name"));
        var expression = Utf8(test.One("expr"));
        string? outside = null;
        var declarations = new Dictionary<string, CelType>(StringComparer.Ordinal);
        var bindings = new Dictionary<string, object>(StringComparer.Ordinal);
        object? expected = null;
        var expectError = false;

        if (file == "macros2") outside = "two-variable comprehension macros (the cel-go extension library, not the standard macros)";
        if (outside is null && test.One("container") is TextScalar container && Utf8(container).Length > 0) outside = "a container (namespace resolution of message types)";
        foreach (var word in new[] { "TestAllTypes", "NestedTestAllTypes", "NestedMessage", "GlobalEnum", "NestedEnum", "google.protobuf.Any", "google.protobuf.Int", "google.protobuf.UInt",
                     "google.protobuf.Bool", "google.protobuf.String", "google.protobuf.Bytes", "google.protobuf.Float", "google.protobuf.Double", "google.protobuf.Value",
                     "google.protobuf.Struct", "google.protobuf.ListValue", "google.protobuf.NullValue", "google.protobuf.Field", "cel.expr", "optional", ".?", "[?", "?.", "cel.bind", "cel.block", "proto.", "Expr{" })
        {
            if (outside is null && expression.Contains(word, StringComparison.Ordinal)) outside = $"protocol buffer messages or extensions ('{word}')";
        }
        if (outside is null && test.Has("typed_result")) outside = "typed_result (checked result types)";
        if (outside is null && (test.Has("unknown") || test.Has("any_eval_errors") || test.Has("any_unknowns"))) outside = "unknown values";
        if (outside is null && test.Has("disable_macros")) outside = "macros disabled";

        foreach (var env in test.All("type_env").Cast<TextMessage>())
        {
            var declared = Utf8(env.One("name"));
            if (env.Message("function") is not null) { outside ??= "custom function declarations"; continue; }
            var type = env.Message("ident")?.Message("type") is { } t ? TypeOf(t) : null;
            if (type is null) outside ??= $"declaration of '{declared}' with a message or other unsupported type";
            else declarations[declared] = type;
        }
        foreach (var binding in test.All("bindings").Cast<TextMessage>())
        {
            var key = Utf8(binding.One("key"));
            var value = binding.Message("value")?.Message("value") is { } v ? ValueOf(v) : null;
            if (value is null) outside ??= $"binding of '{key}' to a message or unsupported value";
            else bindings[key] = value;
        }
        if (test.Message("value") is { } expectedMessage)
        {
            expected = ValueOf(expectedMessage);
            if (expected is null) outside ??= "expected value is a message, enum or unsupported type";
        }
        else if (test.Has("eval_error"))
        {
            expectError = true;
        }
        else if (!test.Has("value"))
        {
            // No expectation: the test only requires a true result (cel-spec's default).
            expected = true;
        }
        var disableCheck = test.Text("disable_check") == "true";
        return new ConformanceCase(file, section, name, expression, disableCheck, declarations, bindings, expected, expectError, outside);
    }

    private static string Utf8(object? scalar) => scalar is TextScalar s ? (s.IsString ? s.Utf8 : s.Text) : "";

    private static CelType? TypeOf(TextMessage type)
    {
        if (type.Text("primitive") is { } primitive)
        {
            return primitive switch
            {
                "INT64" => CelType.Int, "UINT64" => CelType.Uint, "DOUBLE" => CelType.Double, "BOOL" => CelType.Bool,
                "STRING" => CelType.String, "BYTES" => CelType.Bytes, _ => null,
            };
        }
        if (type.Text("well_known") is { } known)
            return known switch { "TIMESTAMP" => CelType.Timestamp, "DURATION" => CelType.Duration, _ => null };
        if (type.Has("dyn")) return CelType.Dyn;
        if (type.Text("null") is not null) return CelType.Null;
        if (type.Message("list_type") is { } list) return TypeOf(list.Message("elem_type")!) is { } element ? CelType.ListOf(element) : null;
        if (type.Message("map_type") is { } map)
            return TypeOf(map.Message("key_type")!) is { } key && TypeOf(map.Message("value_type")!) is { } value ? CelType.MapOf(key, value) : null;
        return null;
    }

    /// <summary>A cel.expr.Value message as a CEL value; null for messages, enums and Any other than Timestamp/Duration.</summary>
    public static object? ValueOf(TextMessage value)
    {
        foreach (var (field, raw) in value.Fields)
        {
            var text = raw as TextScalar;
            switch (field)
            {
                case "int64_value": return long.Parse(text!.Text, CultureInfo.InvariantCulture);
                case "uint64_value": return ulong.Parse(text!.Text, CultureInfo.InvariantCulture);
                case "double_value": return ParseDouble(text!.Text);
                case "string_value": return text!.Utf8;
                case "bytes_value": return new CelBytes(text!.StringBytes!);
                case "bool_value": return text!.Text == "true";
                case "null_value": return CelNull.Value;
                case "type_value": return new CelTypeValue(text!.IsString ? text.Utf8 : text.Text);
                case "list_value":
                {
                    var items = new List<object>();
                    foreach (var item in ((TextMessage)raw).All("values").Cast<TextMessage>())
                    {
                        if (ValueOf(item) is not { } element) return null;
                        items.Add(element);
                    }
                    return CelList.Of(items);
                }
                case "map_value":
                {
                    var entries = new List<KeyValuePair<object, object>>();
                    foreach (var entry in ((TextMessage)raw).All("entries").Cast<TextMessage>())
                    {
                        if (ValueOf(entry.Message("key")!) is not { } key || ValueOf(entry.Message("value")!) is not { } item) return null;
                        entries.Add(new(key, item));
                    }
                    return CelMap.Of(entries, out _);
                }
                case "object_value":
                {
                    var any = (TextMessage)raw;
                    var (typeUrl, body) = any.Fields.Count == 1 ? any.Fields[0] : ("", null);
                    if (body is not TextMessage message) return null;
                    var seconds = message.Text("seconds") is { } s ? long.Parse(s, CultureInfo.InvariantCulture) : 0;
                    var nanos = message.Text("nanos") is { } n ? long.Parse(n, CultureInfo.InvariantCulture) : 0;
                    var ticks = seconds * TimeSpan.TicksPerSecond + nanos / 100;
                    return typeUrl switch
                    {
                        "[type.googleapis.com/google.protobuf.Timestamp]" => DateTimeOffset.UnixEpoch.AddTicks(ticks),
                        "[type.googleapis.com/google.protobuf.Duration]" => TimeSpan.FromTicks(ticks),
                        _ => null,
                    };
                }
                default:
                    return null;
            }
        }
        return null;
    }

    private static double ParseDouble(string text) => text.ToLowerInvariant() switch
    {
        "inf" or "infinity" => double.PositiveInfinity,
        "-inf" or "-infinity" => double.NegativeInfinity,
        "nan" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    public override string ToString() => new StringBuilder().Append(Id).Append(": ").Append(Expression).ToString();
}
