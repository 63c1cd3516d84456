using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>
/// Persistence for the append-only ledger. Implementations store bytes and coordinate writers; the Merkle
/// algorithm (leaf hashing, subtree integration, proofs) lives in Attest.Core/Transparency and in
/// <see cref="AuditLedger"/>, never in a store.
/// </summary>
public interface ILedgerStore : IMerkleNodeReader, ICheckpointStore, IAsyncDisposable
{
    /// <summary>Human-readable description of where the ledger lives (a file path or a host), never a secret.</summary>
    string Location { get; }

    /// <summary>Number of entries in the log. MUST reflect only committed, durable entries.</summary>
    Task<long> GetSizeAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes a batch of entries (with the subtree hashes each completes) in one transaction. MUST be atomic
    /// and durable before it returns. MUST write nothing and throw <see cref="LedgerConflictException"/> when the
    /// log does not hold exactly <paramref name="expectedSize"/> entries (another writer got there first).</summary>
    Task CommitAsync(long expectedSize, IReadOnlyList<LedgerRow> rows, CancellationToken cancellationToken = default);

    /// <summary>Entries with start ≤ index &lt; end as stored (no checks), in index order.</summary>
    IAsyncEnumerable<StoredEntry> ReadEntriesAsync(long start, long end, CancellationToken cancellationToken = default);

    /// <summary>Entries matching the filter, oldest first (newest first when <see cref="LedgerQuery.NewestFirst"/>), at
    /// most <see cref="LedgerQuery.Limit"/>.</summary>
    Task<IReadOnlyList<StoredEntry>> QueryAsync(LedgerQuery query, CancellationToken cancellationToken = default);

    /// <summary>Transparency-log entries (<see cref="LedgerEntryKinds.TransparencyLog"/>) whose indexed
    /// <paramref name="column"/> equals <paramref name="value"/> (a leaf hash for <see cref="LedgerLookup.LeafHash"/>,
    /// text otherwise), oldest first, at most <paramref name="limit"/>: an index lookup, for the transparency-log API
    /// (entries by UUID, duplicates, searches by artifact or identity). Entries of other kinds are never returned, so
    /// admission decisions about an image digest cannot crowd an artifact's log entries out of the limit.</summary>
    Task<IReadOnlyList<StoredEntry>> LookupAsync(LedgerLookup column, object value, int limit, CancellationToken cancellationToken = default);
}

/// <summary>The stored Merkle nodes of a log (the audit ledger, the checksum database): what proofs and tiles read.</summary>
public interface IMerkleNodeReader
{
    /// <summary>Hashes of the given subtrees (level 0 = an entry's leaf hash), in the order asked. MUST throw
    /// <see cref="LedgerCorruptException"/> when one is absent.</summary>
    Task<IReadOnlyList<byte[]>> ReadNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default);
}

/// <summary>A log's signed checkpoints: the history, and a head that only moves forward by compare-and-swap.</summary>
public interface ICheckpointStore
{
    /// <summary>The checkpoint the head points at, or null before the first one.</summary>
    Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken = default);

    /// <summary>Every checkpoint ever published, by size.</summary>
    IAsyncEnumerable<StoredCheckpoint> ReadCheckpointsAsync(CancellationToken cancellationToken = default);

    /// <summary>Records <paramref name="next"/> and moves the head to it, only if the head is still at
    /// <paramref name="expectedHeadSize"/> (-1 for none). Returns false, writing nothing, if it moved.</summary>
    Task<bool> TryAdvanceCheckpointAsync(long expectedHeadSize, StoredCheckpoint next, CancellationToken cancellationToken = default);
}

/// <summary>An entry ready to be written: the sequenced entry (query columns), its leaf hash, and the hashes of the
/// perfect subtrees its append completes (levels 1, 2, … bottom-up, 32 bytes each; empty for even indexes).
/// Keeping them in the entry's row makes node (L, j) a primary-key read of row ((j + 1) · 2^L) − 1.</summary>
public sealed record LedgerRow(SequencedEntry Entry, byte[] LeafHash, byte[] SubtreeHashes);

/// <summary>An entry row as read back: untrusted until an audit has replayed it.</summary>
public sealed record StoredEntry(long Index, byte[] Body, byte[] LeafHash, byte[] SubtreeHashes)
{
    /// <summary>The search columns stored beside the body (what filters match), when the store read them. They are
    /// copies of the body's members and are trusted only once <see cref="LedgerColumns"/> found them equal.</summary>
    public StoredColumns? Columns { get; init; }
}

/// <summary>An entry row's search columns as stored (<c>kind</c>, <c>recorded_at</c>, <c>image</c>, <c>digest</c>,
/// <c>namespace</c>, <c>verdict</c>, <c>client</c>); null where the column is NULL.</summary>
public sealed record StoredColumns(string? Kind, string? RecordedAt, string? Image, string? Digest, string? Namespace, string? Verdict, string? Client);

/// <summary>A published checkpoint: its size and root as columns (for lookup) and the signed note (the evidence).</summary>
public sealed record StoredCheckpoint(long Size, byte[] RootHash, string Note);

/// <summary>The indexed columns <see cref="ILedgerStore.LookupAsync"/> searches.</summary>
public enum LedgerLookup
{
    /// <summary>The RFC 6962 leaf hash (32 bytes): a Rekor entry's UUID.</summary>
    LeafHash,

    /// <summary>The artifact digest (<c>sha256:hex</c>).</summary>
    Digest,

    /// <summary>The CI identity (a keyless certificate's subject).</summary>
    Identity,
}

/// <summary>Auditor filters; null fields match everything.</summary>
public sealed record LedgerQuery
{
    public string? Kind { get; init; }
    public string? Image { get; init; }

    /// <summary>A repository: entries whose image is it, or it with a tag or digest (<c>repo:tag</c>, <c>repo@sha256:…</c>).</summary>
    public string? Repository { get; init; }

    public string? Digest { get; init; }
    public string? Namespace { get; init; }
    public string? Verdict { get; init; }
    public string? Client { get; init; }
    public string? Identity { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    /// <summary>Paging: only entries after this index.</summary>
    public long AfterIndex { get; init; } = -1;

    /// <summary>Paging newest first: only entries before this index.</summary>
    public long BeforeIndex { get; init; } = long.MaxValue;

    /// <summary>Newest entries first (descending index) instead of oldest first.</summary>
    public bool NewestFirst { get; init; }

    public int Limit { get; init; } = 100;

    /// <summary>The SQL parameters both stores' query statements take (times in the entries' text form, the page
    /// size clamped to the limit).</summary>
    internal object ToParameters() => new
    {
        AfterIndex,
        BeforeIndex,
        Kind,
        Image,
        Repository,
        Digest,
        Namespace,
        Verdict,
        Client,
        Identity,
        From = From is { } from ? LedgerEntryCodec.FormatTime(from) : null,
        To = To is { } to ? LedgerEntryCodec.FormatTime(to) : null,
        Limit = Math.Clamp(Limit, 1, LedgerLimits.MaxPageSize),
    };
}

/// <summary>Another writer appended first; the caller reloads its tree state and retries.</summary>
public sealed class LedgerConflictException(string message) : Exception(message);

/// <summary>
/// The ledger's queue is full: this append was refused at once rather than made to wait (pushback, as Tessera's
/// <c>ErrPushback</c>). Nothing was appended; the caller answers its own caller promptly (an admission denial with
/// <c>ledger.busy</c>, HTTP 503 with <c>Retry-After</c>) and may try again shortly.
/// </summary>
public sealed class LedgerBusyException(int pending)
    : Exception($"the ledger is busy: {pending} appends are already waiting to be sequenced; try again shortly")
{
    public const string Code = "ledger.busy";

    /// <summary>Seconds a client should wait before trying again.</summary>
    public const int RetryAfterSeconds = 1;
}

/// <summary>Stored data the ledger needs is missing or malformed; run <c>attest ledger verify</c>.</summary>
public sealed class LedgerCorruptException(string message) : Exception(message);
