using Attest.Core;

namespace Attest.GoModules;

/// <summary>The outcome of hashing a module zip or directory: the h1 as the go command computes it (null when the
/// input could not be hashed safely), what was wrong with the input, and each file's SHA-256 by name relative to
/// the module root (used to compare vendored copies).</summary>
public sealed record HashResult(
    string? Hash,
    IReadOnlyList<Finding> Findings,
    IReadOnlyDictionary<string, byte[]> FileDigests)
{
    /// <summary>Hashed, and nothing beyond warnings was found.</summary>
    public bool IsClean => Hash is not null && Findings.All(f => GoSumCodes.IsWarning(f.Code));

    internal static HashResult Failed(IReadOnlyList<Finding> findings) =>
        new(null, findings, new Dictionary<string, byte[]>(StringComparer.Ordinal));
}
