using Attest.Cel.Syntax;

namespace Attest.Cel.Checking;

/// <summary>
/// Type-checks a parsed expression against declared variables, gradually: <c>dyn</c> (JSON documents, unknown
/// fields) is checked at evaluation, everything statically known is checked now — undeclared names, calls with no
/// matching overload, field selection on a non-map, indexing what cannot be indexed, macros over what is not a list or
/// map, non-boolean conditions. Records the first problem of each subexpression with its offset.
/// </summary>
internal sealed class CelChecker(IReadOnlyDictionary<string, CelType> declarations)
{
    private static readonly Dictionary<string, CelType> TypeNames = new(StringComparer.Ordinal)
    {
        ["int"] = CelType.Int, ["uint"] = CelType.Uint, ["double"] = CelType.Double, ["bool"] = CelType.Bool,
        ["string"] = CelType.String, ["bytes"] = CelType.Bytes, ["list"] = CelType.ListOf(CelType.Dyn),
        ["map"] = CelType.MapOf(CelType.Dyn, CelType.Dyn), ["null_type"] = CelType.Null, ["type"] = CelType.Type,
        ["google.protobuf.Timestamp"] = CelType.Timestamp, ["google.protobuf.Duration"] = CelType.Duration,
    };

    private readonly Dictionary<string, CelType> _scope = new(StringComparer.Ordinal);

    public List<(int Offset, string Message)> Errors { get; } = [];

    public CelType Check(Expr expr)
    {
        switch (expr)
        {
            case LiteralExpr literal:
                return literal.Value switch
                {
                    bool => CelType.Bool, long => CelType.Int, ulong => CelType.Uint, double => CelType.Double,
                    string => CelType.String, CelBytes => CelType.Bytes, _ => CelType.Null,
                };
            case IdentExpr ident:
                if (_scope.TryGetValue(ident.Name, out var scoped)) return scoped;
                if (declarations.TryGetValue(ident.Name, out var declared)) return declared;
                if (TypeNames.ContainsKey(ident.Name)) return CelType.Type;
                return Error(ident.Offset, $"undeclared reference to '{ident.Name}'");
            case SelectExpr select:
            {
                // A dotted name may be one declared variable (longest prefix first: the recursion tries shorter ones).
                if (QualifiedName(select) is { } qualified && !_scope.ContainsKey(RootName(select)!))
                {
                    if (declarations.TryGetValue(qualified, out var variable)) return select.TestOnly ? CelType.Bool : variable;
                    if (TypeNames.ContainsKey(qualified) && !declarations.ContainsKey(RootName(select)!)) return CelType.Type;
                }
                var operand = Check(select.Operand);
                if (operand.IsDyn) return select.TestOnly ? CelType.Bool : CelType.Dyn;
                if (operand.IsMap && operand.Key!.Accepts(CelType.String)) return select.TestOnly ? CelType.Bool : operand.Element!;
                return Error(select.Offset, $"type '{operand}' does not support field selection ('.{select.Field}')");
            }
            case ListExpr list:
            {
                var element = list.Elements.Count == 0 ? CelType.Dyn : null;
                foreach (var item in list.Elements)
                {
                    var type = Check(item);
                    element = element is null ? type : CelType.Join(element, type);
                }
                return CelType.ListOf(element!);
            }
            case MapExpr map:
            {
                CelType? key = null, value = null;
                foreach (var (k, v) in map.Entries)
                {
                    var keyType = Check(k);
                    if (!(keyType.IsDyn || keyType.Name is "bool" or "int" or "uint" or "string"))
                        Error(k.Offset, $"map keys must be bool, int, uint or string, not {keyType}");
                    key = key is null ? keyType : CelType.Join(key, keyType);
                    var valueType = Check(v);
                    value = value is null ? valueType : CelType.Join(value, valueType);
                }
                return CelType.MapOf(key ?? CelType.Dyn, value ?? CelType.Dyn);
            }
            case ComprehensionExpr comprehension:
                return CheckComprehension(comprehension);
            case CallExpr call:
                return CheckCall(call);
            default:
                return Error(expr.Offset, "unsupported expression");
        }
    }

    private CelType CheckComprehension(ComprehensionExpr comprehension)
    {
        var range = Check(comprehension.Range);
        CelType variable;
        if (range.IsList) variable = range.Element!;
        else if (range.IsMap) variable = range.Key!;
        else if (range.IsDyn) variable = CelType.Dyn;
        else return Error(comprehension.Range.Offset, $"{Name(comprehension.Kind)}() needs a list or a map, not {range}");

        _scope.TryGetValue(comprehension.Variable, out var shadowed);
        _scope[comprehension.Variable] = variable;
        try
        {
            if (comprehension.Filter is { } filter) RequireBool(filter, Check(filter), "the filter of map()");
            var body = Check(comprehension.Body);
            switch (comprehension.Kind)
            {
                case MacroKind.Map:
                    return CelType.ListOf(body);
                case MacroKind.Filter:
                    RequireBool(comprehension.Body, body, "the predicate of filter()");
                    return CelType.ListOf(variable);
                default:
                    RequireBool(comprehension.Body, body, $"the predicate of {Name(comprehension.Kind)}()");
                    return CelType.Bool;
            }
        }
        finally
        {
            if (shadowed is not null) _scope[comprehension.Variable] = shadowed;
            else _scope.Remove(comprehension.Variable);
        }
    }

    private CelType CheckCall(CallExpr call)
    {
        var target = call.Target is { } t ? Check(t) : null;
        var args = call.Args.Select(Check).ToList();
        switch (call.Function)
        {
            case "_&&_" or "_||_":
                RequireBool(call.Args[0], args[0], "an operand of " + (call.Function == "_&&_" ? "&&" : "||"));
                RequireBool(call.Args[1], args[1], "an operand of " + (call.Function == "_&&_" ? "&&" : "||"));
                return CelType.Bool;
            case "_?_:_":
                RequireBool(call.Args[0], args[0], "the condition of ?:");
                return CelType.Join(args[1], args[2]);
            case "_==_" or "_!=_":
                if (!Comparable(args[0], args[1]))
                    Error(call.Offset, $"{args[0]} and {args[1]} can never be equal");
                return CelType.Bool;
            case "_[_]":
                if (args[0].IsDyn) return CelType.Dyn;
                if (args[0].IsList)
                {
                    if (!(args[1].IsDyn || args[1].Name is "int" or "uint" or "double")) Error(call.Args[1].Offset, $"a list index must be a number, not {args[1]}");
                    return args[0].Element!;
                }
                if (args[0].IsMap)
                {
                    if (!args[0].Key!.Accepts(args[1]) && !(args[0].Key!.IsNumeric && args[1].IsNumeric)) Error(call.Args[1].Offset, $"a key of {args[0]} cannot be {args[1]}");
                    return args[0].Element!;
                }
                return Error(call.Offset, $"type '{args[0]}' cannot be indexed");
            case "@in":
                if (args[1].IsDyn) return CelType.Bool;
                if (args[1].IsList || args[1].IsMap)
                {
                    var element = args[1].IsList ? args[1].Element! : args[1].Key!;
                    if (!Comparable(element, args[0])) Error(call.Offset, $"{args[0]} is never in {args[1]}");
                    return CelType.Bool;
                }
                return Error(call.Offset, $"'in' needs a list or a map on its right, not {args[1]}");
            case "_+_" when args[0].IsList && args[1].IsList:
                return CelType.ListOf(CelType.Join(args[0].Element!, args[1].Element!));
        }

        if (!Overloads.Table.TryGetValue(call.Function, out var overloads))
            return Error(call.Offset, $"undeclared function '{call.Function}'");
        var actual = target is null ? args : [target, .. args];
        var matching = overloads.Where(o => o.Receiver == (target is not null) && o.Parameters.Length == actual.Count &&
            o.Parameters.Zip(actual).All(p => p.First.Accepts(p.Second))).ToList();
        if (matching.Count == 0)
        {
            var shape = target is null ? $"({string.Join(", ", args)})" : $"{target}.({string.Join(", ", args)})";
            return Error(call.Offset, $"found no matching overload for '{Display(call.Function)}' applied to '{shape}'");
        }
        var result = matching[0].Result;
        return matching.All(m => m.Result == result) ? result : CelType.Dyn;
    }

    private static bool Comparable(CelType a, CelType b) =>
        a.IsDyn || b.IsDyn || a.Accepts(b) || (a.IsNumeric && b.IsNumeric) || a == CelType.Null || b == CelType.Null;

    private void RequireBool(Expr at, CelType type, string what)
    {
        if (!(type.IsDyn || type == CelType.Bool)) Error(at.Offset, $"{what} must be a bool, not {type}");
    }

    private CelType Error(int offset, string message)
    {
        Errors.Add((offset, message));
        return CelType.Dyn;
    }

    private static string? QualifiedName(Expr expr) => expr switch
    {
        IdentExpr i => i.Name,
        SelectExpr s when QualifiedName(s.Operand) is { } prefix => prefix + "." + s.Field,
        _ => null,
    };

    private static string? RootName(Expr expr) => expr switch
    {
        IdentExpr i => i.Name,
        SelectExpr s => RootName(s.Operand),
        _ => null,
    };

    private static string Name(MacroKind kind) => kind switch
    {
        MacroKind.All => "all",
        MacroKind.Exists => "exists",
        MacroKind.ExistsOne => "exists_one",
        MacroKind.Map => "map",
        _ => "filter",
    };

    private static string Display(string function) => function switch
    {
        "_+_" => "+", "_-_" => "-", "_*_" => "*", "_/_" => "/", "_%_" => "%", "-_" => "unary -", "!_" => "!",
        "_<_" => "<", "_<=_" => "<=", "_>_" => ">", "_>=_" => ">=", _ => function,
    };
}
