namespace Attest.Core.Transparency;

/// <summary>Outcome of checking one piece of transparency evidence: valid, or one <see cref="Finding"/> with a
/// code from <see cref="TransparencyCodes"/> and the evidence (expected and calculated values).</summary>
public sealed record ProofResult
{
    private ProofResult(Finding? failure) => Failure = failure;

    public static ProofResult Valid { get; } = new((Finding?)null);

    public Finding? Failure { get; }

    public bool IsValid => Failure is null;

    public static ProofResult Fail(string code, string message, IReadOnlyDictionary<string, string>? evidence = null) =>
        new(new Finding(code, message, evidence));

    public override string ToString() => Failure?.ToString() ?? "valid";
}
