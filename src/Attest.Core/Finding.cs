namespace Attest.Core;

/// <summary>
/// One expected failure (or notable observation) found while checking evidence: a stable dotted
/// <see cref="Code"/> that callers and tests match on, one sentence a person can act on, and the
/// evidence behind it (expected and found values, an index, a file and line).
/// Verification returns findings; exceptions are reserved for bugs and misuse.
/// </summary>
public sealed record Finding(string Code, string Message, IReadOnlyDictionary<string, string>? Evidence = null)
{
    public override string ToString() => $"{Code}: {Message}";
}
