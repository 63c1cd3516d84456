using System.Text.Json.Serialization;
using Attest.Server.Checks;

namespace Attest.Server.SumDb;

/// <summary><c>GET /v1/sumdb/verifier-key</c>: what a team puts in GOSUMDB.</summary>
public sealed record SumDbKeyResponse(
    string Name,
    string VerifierKey,
    string Url,
    string Gosumdb,
    IReadOnlyList<string> Patterns,
    bool Upstream,
    long TreeSize);

/// <summary>The answer of <c>POST /v1/gosum/modules</c>: the record Attest computed from the zip (the go.sum lines the go
/// command will write), where it stands in the log, and the audit-ledger entry of the addition.</summary>
public sealed record PublishedModule(
    string Module,
    string Version,
    string Hash,
    string GoModHash,
    IReadOnlyList<string> Lines,
    long RecordId,
    long TreeSize,
    bool AlreadyRecorded,
    long? LedgerIndex,
    string ZipDigest,
    IReadOnlyList<CheckFinding> Warnings);

[JsonSerializable(typeof(SumDbKeyResponse))]
[JsonSerializable(typeof(PublishedModule))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class SumDbJsonContext : JsonSerializerContext;
