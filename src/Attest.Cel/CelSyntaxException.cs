namespace Attest.Cel;

/// <summary>A problem found before evaluation (parse or type check), at a line and column of the expression (1-based).</summary>
public sealed record CelIssue(int Line, int Column, string Message)
{
    public override string ToString() => $"{Line}:{Column}: {Message}";
}

/// <summary>Thrown by the parser on the first syntax error; collected into <see cref="CelIssue"/>s by <see cref="CelEnvironment"/>.</summary>
internal sealed class CelSyntaxException(int offset, string message) : Exception(message)
{
    public int Offset { get; } = offset;
}

/// <summary>An evaluation stopped because it spent more than its cost limit.</summary>
public sealed class CelCostExceededException(long limit) : Exception($"the expression exceeded its cost limit of {limit} units")
{
    public long Limit { get; } = limit;
}
