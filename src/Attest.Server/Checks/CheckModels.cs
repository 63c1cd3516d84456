using System.Text.Json.Serialization;
using Attest.Server.Signing;

namespace Attest.Server.Checks;

/// <summary>The artifact (usually an image) the check's attestation is about.</summary>
public sealed record CheckSubject(string? Name, string Digest);

/// <summary>One finding of a check: its stable code, whether it fails the check, what it says, and the module or
/// component it concerns when there is one.</summary>
public sealed record CheckFinding(string Code, string Severity, string Message, string? Module);

/// <summary>The answer of <c>POST /v1/gosum/verify</c>: the verdict and findings, the ledger entry recording the
/// evaluation, and, when it passed, the signed attestation.</summary>
public sealed record GoSumVerification(
    string Verdict,
    CheckSubject Subject,
    string? Policy,
    string PolicyRevision,
    string? ModulePath,
    int Requirements,
    int Modules,
    int FilesHashed,
    string GoSumDigest,
    string GoModDigest,
    int FindingCount,
    IReadOnlyList<CheckFinding> Findings,
    long EvaluationLogIndex,
    IssuedBundleResponse? Attestation);

/// <summary>The answer of <c>POST /v1/sbom/evaluate</c>.</summary>
public sealed record SbomEvaluation(
    string Verdict,
    CheckSubject Subject,
    string? Policy,
    string PolicyRevision,
    string Format,
    string SpecVersion,
    int Components,
    string SbomDigest,
    bool SubjectBound,
    int FindingCount,
    IReadOnlyList<CheckFinding> Findings,
    long EvaluationLogIndex,
    IssuedBundleResponse? Attestation);

/// <summary>The predicate of <c>https://attest.dev/attestations/gosum/v1</c>: what was checked (the digests of the
/// go.mod and go.sum uploaded, the module they declare, how many requirements and module versions), by whom (the
/// client that asked) and with what outcome, so an image policy can bind each of them.</summary>
public sealed record GoSumPredicate(
    string Verdict,
    string? ModulePath,
    int Requirements,
    int Modules,
    int FilesHashed,
    string? Policy,
    string PolicyRevision,
    string GoSumDigest,
    string GoModDigest,
    bool Vendored,
    string Client,
    int FindingCount,
    IReadOnlyList<CheckFinding> Findings,
    long EvaluationLogIndex,
    DateTimeOffset EvaluatedAt);

/// <summary>The predicate of <c>https://attest.dev/attestations/sbom/v1</c>: the SBOM's digest, format and size, the
/// client that asked, and the outcome.</summary>
public sealed record SbomPredicate(
    string Verdict,
    string Format,
    string SpecVersion,
    int Components,
    string? Policy,
    string PolicyRevision,
    string SbomDigest,
    bool SubjectBound,
    string Client,
    int FindingCount,
    IReadOnlyList<CheckFinding> Findings,
    long EvaluationLogIndex,
    DateTimeOffset EvaluatedAt);

[JsonSerializable(typeof(GoSumVerification))]
[JsonSerializable(typeof(SbomEvaluation))]
[JsonSerializable(typeof(GoSumPredicate))]
[JsonSerializable(typeof(SbomPredicate))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class CheckJsonContext : JsonSerializerContext;
