namespace Attest.Cel;

/// <summary>Bounds on a CEL expression and on one evaluation of it (policy authors are trusted less than the code).</summary>
public sealed record CelLimits
{
    /// <summary>Characters of expression source.</summary>
    public int MaxExpressionLength { get; init; } = 8192;

    /// <summary>Nesting of the syntax tree (parenthesis, calls, operators).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Cost units one evaluation may spend: one per node visited, plus the size of strings, bytes, lists and
    /// maps an operation reads or builds. Exceeding it stops the evaluation (it does not yield a value).</summary>
    public long MaxCost { get; init; } = 1_000_000;

    /// <summary>Elements of a list or map, and characters of a string, an evaluation may build.</summary>
    public int MaxCollectionSize { get; init; } = 100_000;

    /// <summary>Time one regular expression match may take (the engine is linear-time; this is a backstop).</summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromSeconds(1);

    public static CelLimits Default { get; } = new();
}
