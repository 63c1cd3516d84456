using Attest.GoModules;
using Attest.Sbom;

namespace Attest.Server.Checks;

/// <summary>Bounds of the check endpoints' uploads. The file-level bounds are the libraries' own
/// (<see cref="GoModulesLimits"/>, <see cref="SbomLimits"/>), tightened where a request must stay small enough to
/// buffer on the server's disk.</summary>
public static class CheckLimits
{
    /// <summary>Largest <c>POST /v1/gosum/verify</c> body: go.mod, go.sum, vendor tree and module zips together.</summary>
    public const long MaxGoSumRequestBytes = 64L << 20;

    /// <summary>Largest <c>POST /v1/sbom/evaluate</c> body (the SBOM itself is bounded by the same number).</summary>
    public const long MaxSbomRequestBytes = 32L << 20;

    /// <summary>Largest text field (subject name and digest, policy name, Go environment values).</summary>
    public const int MaxFieldBytes = 4 * 1024;

    /// <summary>Most parts of one multipart request (module zips included).</summary>
    public const int MaxParts = 300;

    /// <summary>Most uncompressed bytes the <c>vendor</c> and <c>modcache</c> zips of one request may expand to.</summary>
    public const long MaxExtractedBytes = 256L << 20;

    /// <summary>Most entries the <c>vendor</c> and <c>modcache</c> zips of one request may hold together.</summary>
    public static int MaxExtractedEntries => GoModulesLimits.Default.MaxFilesPerModule;

    /// <summary>Largest ratio of uncompressed to compressed size of one zip entry larger than 1 MiB (the go.sum
    /// library's zip-bomb rule).</summary>
    public static int MaxCompressionRatio => GoModulesLimits.Default.MaxCompressionRatio;

    /// <summary>Most findings listed in a predicate or response; the rest are counted.</summary>
    public const int MaxListedFindings = 200;

    /// <summary>Most findings named in a ledger entry (entries are at most 64 KiB).</summary>
    public const int MaxLedgerFindings = 40;

    /// <summary>Longest a go.sum evaluation may hash before it is abandoned (also abandoned when the client hangs up).
    /// Bounded uploads take seconds; this is the backstop that keeps an evaluation slot from being held forever.</summary>
    public static readonly TimeSpan MaxEvaluationTime = TimeSpan.FromMinutes(2);

    /// <summary>Longest subject name accepted (as for <c>POST /v1/attestations</c>).</summary>
    public const int MaxNameLength = 1024;

    public static GoModulesLimits GoModules { get; } = GoModulesLimits.Default with
    {
        MaxGoSumBytes = MaxGoSumRequestBytes,
        MaxModulesTxtBytes = MaxGoSumRequestBytes,
    };

    public static SbomLimits Sbom { get; } = SbomLimits.Default with { MaxBytes = MaxSbomRequestBytes };
}
