namespace Attest.Fuzz;

/// <summary>
/// One fuzzing target: a parser that takes outside input, called through the same entry point the server or the CLI
/// uses. <see cref="Run"/> returns normally for every input the parser accepts and for every input it rejects the way
/// it documents (its result with a reason code, or its own exception type); anything else escaping it (an unexpected
/// exception type, a stack overflow, a hang, unbounded memory) is a finding.
/// </summary>
public sealed record FuzzTarget(string Name, string Parser, Action<byte[]> Run);
