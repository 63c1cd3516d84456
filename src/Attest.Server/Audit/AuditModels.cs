using System.Text.Json;
using System.Text.Json.Serialization;

namespace Attest.Server.Audit;

/// <summary>The latest signed checkpoint. <see cref="Note"/> is the evidence (a c2sp.org/tlog-checkpoint signed
/// note); size and root repeat what it says for convenience and are only as good as the note's signature.</summary>
public sealed record CheckpointResponse(
    string Origin,
    long Size,
    [property: JsonPropertyName("rootHash")] string RootHash,
    string Note,
    IReadOnlyList<string> VerifierKeys)
{
    /// <summary>The witnesses this log sends its checkpoints to (cosignature verifier keys); informational: pin your own.</summary>
    public IReadOnlyList<string>? WitnessKeys { get; init; }

    /// <summary>The newest checkpoint carrying the configured number of witness cosignatures (null when none yet).</summary>
    public WitnessedCheckpointResponse? Witnessed { get; init; }
}

/// <summary>A checkpoint with its witnesses' cosignatures: <see cref="Note"/> is the evidence.</summary>
public sealed record WitnessedCheckpointResponse(long Size, string Note, int Required);

/// <summary>One ledger entry: the fields auditors filter on, the kind's details, and the exact leaf bytes (base64)
/// that the Merkle tree hashes, so anyone can recompute the leaf hash.</summary>
public sealed record EntryResponse(
    long Index,
    string? RecordedAt,
    string? Kind,
    string? Image,
    string? Digest,
    string? Namespace,
    string? Verdict,
    string? Client,
    JsonElement? Details,
    string Leaf,
    string? Error,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Identity = null);

/// <summary>A page of entries, in the order asked (oldest first by default). Pass <see cref="NextCursor"/> as <c>cursor</c> for the next page;
/// null when this page is the last. Only entries that verify are listed; <see cref="Withheld"/> names the rows the
/// filter matched that did not verify (absent when there were none), each with the reason.</summary>
public sealed record EntriesResponse(IReadOnlyList<EntryResponse> Entries, string? NextCursor, IReadOnlyList<WithheldEntry>? Withheld = null);

/// <summary>A stored row a query matched but does not hand out: it does not verify (see <c>attest ledger verify</c>).</summary>
public sealed record WithheldEntry(long Index, string Reason);

/// <summary>RFC 9162 inclusion proof of entry <see cref="Index"/> in the tree of <see cref="TreeSize"/>. The root is
/// recomputed from the stored tree; <see cref="Checkpoint"/> is the signed note for that size when the size is the
/// latest checkpoint's (verify the root against it, never against <see cref="RootHash"/> alone).</summary>
public sealed record InclusionProofResponse(
    long Index,
    long TreeSize,
    IReadOnlyList<string> Hashes,
    string RootHash,
    string? Checkpoint);

/// <summary>RFC 9162 consistency proof that the tree of <see cref="From"/> entries is a prefix of the tree of
/// <see cref="To"/> entries, with both roots and the signed checkpoint when <see cref="To"/> is its size.</summary>
public sealed record ConsistencyProofResponse(
    long From,
    long To,
    IReadOnlyList<string> Hashes,
    string FromRootHash,
    string ToRootHash,
    string? Checkpoint);

[JsonSerializable(typeof(CheckpointResponse))]
[JsonSerializable(typeof(WitnessedCheckpointResponse))]
[JsonSerializable(typeof(EntriesResponse))]
[JsonSerializable(typeof(EntryResponse))]
[JsonSerializable(typeof(WithheldEntry))]
[JsonSerializable(typeof(InclusionProofResponse))]
[JsonSerializable(typeof(ConsistencyProofResponse))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
