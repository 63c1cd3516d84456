namespace Attest.Cel.Syntax;

/// <summary>A node of the parsed expression; <see cref="Offset"/> is where it starts in the source (for messages).</summary>
internal abstract record Expr(int Offset);

internal sealed record LiteralExpr(int Offset, object Value) : Expr(Offset);

internal sealed record IdentExpr(int Offset, string Name) : Expr(Offset);

/// <summary><c>operand.field</c>; with <see cref="TestOnly"/> it is the <c>has(operand.field)</c> macro.</summary>
internal sealed record SelectExpr(int Offset, Expr Operand, string Field, bool TestOnly) : Expr(Offset);

/// <summary>A function call: global <c>f(args)</c>, receiver style <c>target.f(args)</c>, or an operator (<c>_+_</c>, <c>!_</c>, <c>_[_]</c> …).</summary>
internal sealed record CallExpr(int Offset, string Function, Expr? Target, IReadOnlyList<Expr> Args) : Expr(Offset);

internal sealed record ListExpr(int Offset, IReadOnlyList<Expr> Elements) : Expr(Offset);

internal sealed record MapExpr(int Offset, IReadOnlyList<(Expr Key, Expr Value)> Entries) : Expr(Offset);

internal enum MacroKind
{
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
}

/// <summary>The comprehension macros over a list or a map's keys: <c>all</c>, <c>exists</c>, <c>exists_one</c>,
/// <c>map</c> (with an optional filter) and <c>filter</c>.</summary>
internal sealed record ComprehensionExpr(int Offset, MacroKind Kind, string Variable, Expr Range, Expr Body, Expr? Filter) : Expr(Offset);
