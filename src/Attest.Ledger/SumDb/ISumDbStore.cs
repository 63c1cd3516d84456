namespace Attest.Ledger.SumDb;

/// <summary>
/// Persistence for the checksum database's log: a second Merkle log beside the audit ledger, in the same database
/// (SQLite file or PostgreSQL), with the same storage scheme (each record's row holds its leaf hash and the subtree
/// hashes its append completes) and the same checkpoint history and head. Each record is keyed by module path and
/// version, and a key has at most one record: the first is final. The log algorithm lives in
/// <see cref="SumDbLog"/>, never in a store.
/// </summary>
public interface ISumDbStore : IMerkleNodeReader, ICheckpointStore, IAsyncDisposable
{
    /// <summary>Where the log lives (a file path or host/database), never a secret.</summary>
    string Location { get; }

    /// <summary>Number of committed, durable records.</summary>
    Task<long> GetSizeAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes records in one durable transaction. MUST write nothing and throw <see cref="LedgerConflictException"/>
    /// when the log does not hold exactly <paramref name="expectedSize"/> records, and <see cref="SumDbDuplicateException"/>
    /// when a module version already has a record (whatever its text).</summary>
    Task CommitAsync(long expectedSize, IReadOnlyList<SumDbRow> rows, CancellationToken cancellationToken = default);

    /// <summary>The record of one module version, or null.</summary>
    Task<SumDbRow?> FindAsync(string path, string version, CancellationToken cancellationToken = default);

    /// <summary>Records with start ≤ index &lt; end as stored (no checks), in index order.</summary>
    IAsyncEnumerable<SumDbRow> ReadRecordsAsync(long start, long end, CancellationToken cancellationToken = default);
}

/// <summary>A record row: its index, the module version it is keyed by (query columns), the record text (the leaf),
/// its leaf hash and the subtree hashes its append completed (as <see cref="LedgerRow"/> keeps them). Read back, it
/// is untrusted until an audit has replayed it.</summary>
public sealed record SumDbRow(long Index, string Path, string Version, byte[] Text, byte[] LeafHash, byte[] SubtreeHashes);

/// <summary>The module version already has a record (possibly added by another replica).</summary>
public sealed class SumDbDuplicateException(string message) : Exception(message);
