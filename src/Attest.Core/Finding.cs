namespace Attest.Core;

/// <summary>
/// One expected failure (or notable observation) found while checking evidence: a stable dotted
/// <see cref="Code"/> that callers and tests match on, one sentence a person can act on, and the
/// evidence behind it (expected and found values, an index, a file and line).
/// Verification returns findings; exceptions are reserved for bugs and misuse.
/// </summary>
public sealed record Finding(string Code, string Message, IReadOnlyDictionary<string, string>? Evidence = null)
{
    /// <summary>The findings this one follows from, kept whole rather than flattened into the message: a policy's
    /// <c>signature.untrusted</c> is caused by each authority's own Sigstore failure, a <c>platform.unsigned</c> by
    /// the platform manifest's signature finding. Empty for a finding that is its own cause.</summary>
    public IReadOnlyList<Finding> Causes { get; init; } = [];

    /// <summary>This finding with <paramref name="causes"/> as what it follows from.</summary>
    public Finding CausedBy(params IEnumerable<Finding> causes) => this with { Causes = [.. causes] };

    public override string ToString() => $"{Code}: {Message}";
}
