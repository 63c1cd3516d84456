using Attest.Cel.Checking;
using Attest.Cel.Syntax;

namespace Attest.Cel;

/// <summary>The outcome of one evaluation: a value, an error (a CEL evaluation error: no such key, overflow …), or the
/// cost limit reached. <see cref="Cost"/> is what was spent.</summary>
public sealed record CelResult(object? Value, string? Error, bool CostExceeded, long Cost)
{
    public bool IsTrue => Value is true;
}

/// <summary>A compiled, type-checked expression; immutable and safe to evaluate from many threads at once.</summary>
public sealed class CelProgram
{
    private readonly Expr _root;
    private readonly CelLimits _limits;

    internal CelProgram(string source, Expr root, CelType resultType, CelLimits limits)
    {
        Source = source;
        _root = root;
        ResultType = resultType;
        _limits = limits;
    }

    public string Source { get; }

    public CelType ResultType { get; }

    public CelResult Evaluate(IReadOnlyDictionary<string, object> variables)
    {
        var interpreter = new CelInterpreter(variables, _limits);
        try
        {
            var value = interpreter.Eval(_root);
            return value is CelError error ? new CelResult(null, error.Message, false, interpreter.Cost) : new CelResult(value, null, false, interpreter.Cost);
        }
        catch (CelCostExceededException e)
        {
            return new CelResult(null, e.Message, true, interpreter.Cost);
        }
    }
}

/// <summary>
/// Compiles CEL expressions (a bounded subset of cel-spec: see policies/README.md) against declared variables: parse,
/// expand macros, type-check, and report every problem with its 1-based line and column in the expression.
/// </summary>
public sealed class CelEnvironment(IReadOnlyDictionary<string, CelType> variables, CelLimits? limits = null)
{
    private readonly CelLimits _limits = limits ?? CelLimits.Default;

    public CelLimits Limits => _limits;

    /// <summary>Compiles <paramref name="source"/>; with <paramref name="check"/> false the type checker is skipped
    /// (the conformance files mark some expressions so).</summary>
    public CelProgram? Compile(string source, out IReadOnlyList<CelIssue> issues, bool check = true)
    {
        Expr root;
        try
        {
            root = CelParser.Parse(source, _limits);
        }
        catch (CelSyntaxException e)
        {
            issues = [Issue(source, e.Offset, e.Message)];
            return null;
        }
        var type = CelType.Dyn;
        if (check)
        {
            var checker = new CelChecker(variables);
            type = checker.Check(root);
            if (checker.Errors.Count > 0)
            {
                issues = checker.Errors.Select(e => Issue(source, e.Offset, e.Message)).ToList();
                return null;
            }
        }
        issues = [];
        return new CelProgram(source, root, type, _limits);
    }

    private static CelIssue Issue(string source, int offset, string message)
    {
        var line = 1;
        var column = 1;
        for (var i = 0; i < Math.Min(offset, source.Length); i++)
        {
            if (source[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        return new CelIssue(line, column, message);
    }
}
