using Attest.Cel.Syntax;

namespace Attest.Cel;

/// <summary>
/// Evaluates a checked expression over variables. Errors are values (<see cref="CelError"/>) that propagate through
/// strict functions and are absorbed by <c>&amp;&amp;</c>, <c>||</c>, <c>?:</c>, <c>all</c> and <c>exists</c> as the
/// specification says. Every node visited costs one unit and every string, bytes, list or map an operation reads or
/// builds costs its size; past the limit evaluation stops with <see cref="CelCostExceededException"/>.
/// </summary>
internal sealed class CelInterpreter(IReadOnlyDictionary<string, object> variables, CelLimits limits)
{
    private readonly List<(string Name, object Value)> _scope = [];

    public long Cost { get; private set; }

    public void Spend(long units)
    {
        Cost += units;
        if (Cost > limits.MaxCost) throw new CelCostExceededException(limits.MaxCost);
    }

    public CelLimits Limits => limits;

    public object Eval(Expr expr)
    {
        Spend(1);
        switch (expr)
        {
            case LiteralExpr literal:
                return literal.Value;
            case IdentExpr ident:
                return Lookup(ident.Name);
            case SelectExpr select:
                return Select(select);
            case ListExpr list:
            {
                Spend(list.Elements.Count);
                var items = new object[list.Elements.Count];
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = Eval(list.Elements[i]);
                    if (items[i] is CelError) return items[i];
                }
                return CelList.Of(items);
            }
            case MapExpr map:
            {
                Spend(map.Entries.Count);
                var entries = new List<KeyValuePair<object, object>>(map.Entries.Count);
                foreach (var (keyExpr, valueExpr) in map.Entries)
                {
                    var key = Eval(keyExpr);
                    if (key is CelError) return key;
                    if (key is not (bool or long or ulong or string)) return new CelError($"unsupported map key type {CelFormat.TypeName(key)}");
                    var value = Eval(valueExpr);
                    if (value is CelError) return value;
                    entries.Add(new(key, value));
                }
                var result = CelMap.Of(entries, out var duplicate);
                return duplicate is null ? result : new CelError(duplicate);
            }
            case ComprehensionExpr comprehension:
                return Comprehension(comprehension);
            case CallExpr call:
                return Call(call);
            default:
                return new CelError("unsupported expression");
        }
    }

    private object Lookup(string name)
    {
        for (var i = _scope.Count - 1; i >= 0; i--)
            if (_scope[i].Name == name) return _scope[i].Value;
        if (variables.TryGetValue(name, out var value)) return value;
        return CelFunctions.TypeValue(name) is { } type ? type : new CelError($"no such attribute '{name}'");
    }

    private object Select(SelectExpr select)
    {
        if (QualifiedName(select) is { } qualified)
        {
            if (variables.TryGetValue(qualified, out var variable)) return select.TestOnly ? true : variable;
            if (CelFunctions.TypeValue(qualified) is { } type && !select.TestOnly) return type;
        }
        var operand = Eval(select.Operand);
        switch (operand)
        {
            case CelError:
                return operand;
            case CelMap map:
                if (map.TryGetValue(select.Field, out var value)) return select.TestOnly ? true : value;
                return select.TestOnly ? false : new CelError($"no such key: '{select.Field}'");
            default:
                return new CelError($"type '{CelFormat.TypeName(operand)}' does not support field selection");
        }
    }

    /// <summary>The dotted name of a chain of selections on an identifier that is not a comprehension variable
    /// (a variable may be declared with a dotted name, or the name may be a type).</summary>
    private string? QualifiedName(SelectExpr select)
    {
        string? Name(Expr e) => e switch
        {
            IdentExpr i when !_scope.Any(s => s.Name == i.Name) => i.Name,
            SelectExpr s when Name(s.Operand) is { } prefix => prefix + "." + s.Field,
            _ => null,
        };
        return Name(select);
    }

    private object Comprehension(ComprehensionExpr comprehension)
    {
        var range = Eval(comprehension.Range);
        IEnumerable<object> items;
        switch (range)
        {
            case CelError:
                return range;
            case CelList list:
                items = list.Items();
                break;
            case CelMap map:
                items = map.Keys;
                break;
            default:
                return new CelError($"no matching overload: a macro needs a list or map, not {CelFormat.TypeName(range)}");
        }

        CelError? firstError = null;
        var results = comprehension.Kind is MacroKind.Map or MacroKind.Filter ? new List<object>() : null;
        var count = 0;
        _scope.Add((comprehension.Variable, CelNull.Value));
        var slot = _scope.Count - 1;
        try
        {
            foreach (var item in items)
            {
                Spend(1);
                _scope[slot] = (comprehension.Variable, item);
                if (comprehension.Filter is { } filter)
                {
                    var keep = Eval(filter);
                    if (keep is CelError e) return e;
                    if (keep is not bool k) return new CelError("no matching overload: the filter of map() is not a bool");
                    if (!k) continue;
                }
                var value = Eval(comprehension.Body);
                switch (comprehension.Kind)
                {
                    case MacroKind.All:
                        if (value is false) return false;
                        if (value is not true) firstError ??= value as CelError ?? new CelError("no matching overload: the predicate of all() is not a bool");
                        break;
                    case MacroKind.Exists:
                        if (value is true) return true;
                        if (value is not false) firstError ??= value as CelError ?? new CelError("no matching overload: the predicate of exists() is not a bool");
                        break;
                    case MacroKind.ExistsOne:
                        if (value is CelError err) return err;
                        if (value is not bool b) return new CelError("no matching overload: the predicate of exists_one() is not a bool");
                        if (b) count++;
                        break;
                    case MacroKind.Map:
                        if (value is CelError mapError) return mapError;
                        results!.Add(value);
                        if (results.Count > limits.MaxCollectionSize) return new CelError($"a list would exceed {limits.MaxCollectionSize} elements");
                        break;
                    default:
                        if (value is CelError filterError) return filterError;
                        if (value is not bool keepItem) return new CelError("no matching overload: the predicate of filter() is not a bool");
                        if (keepItem) results!.Add(item);
                        break;
                }
            }
        }
        finally
        {
            _scope.RemoveAt(slot);
        }
        return comprehension.Kind switch
        {
            MacroKind.All => firstError is null ? true : firstError,
            MacroKind.Exists => firstError is null ? false : firstError,
            MacroKind.ExistsOne => count == 1,
            _ => CelList.Of(results!),
        };
    }

    private object Call(CallExpr call)
    {
        switch (call.Function)
        {
            case "_&&_":
            case "_||_":
            {
                var isAnd = call.Function == "_&&_";
                var left = Eval(call.Args[0]);
                if (left is bool l && l != isAnd) return l;
                var right = Eval(call.Args[1]);
                if (right is bool r && r != isAnd) return r;
                if (left is CelError) return left;
                if (right is CelError) return right;
                if (left is bool && right is bool) return isAnd;
                return new CelError($"no matching overload for '{(isAnd ? "&&" : "||")}' applied to ({CelFormat.TypeName(left)}, {CelFormat.TypeName(right)})");
            }
            case "_?_:_":
            {
                var condition = Eval(call.Args[0]);
                return condition switch
                {
                    true => Eval(call.Args[1]),
                    false => Eval(call.Args[2]),
                    CelError => condition,
                    _ => new CelError($"no matching overload for '?:' applied to {CelFormat.TypeName(condition)}"),
                };
            }
        }
        var args = new object[call.Args.Count + (call.Target is null ? 0 : 1)];
        var index = 0;
        if (call.Target is { } target)
        {
            args[index] = Eval(target);
            if (args[index++] is CelError) return args[0];
        }
        foreach (var argument in call.Args)
        {
            args[index] = Eval(argument);
            if (args[index++] is CelError error) return error;
        }
        return CelFunctions.Invoke(this, call.Function, call.Target is not null, args);
    }
}
