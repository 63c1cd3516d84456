using System.Runtime.CompilerServices;
using Attest.Core.Transparency;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Attest.Ledger.SumDb;

/// <summary>
/// The checksum database's log in the ledger's SQLite file (its own tables): WAL with synchronous=FULL, so an
/// acknowledged record survives a crash; triggers make records and checkpoint history append-only; a unique index
/// makes the first record of a module version final. Records arrive at publication rate, not admission rate, so
/// each commit opens a pooled connection rather than keeping a writer.
/// </summary>
public sealed class SqliteSumDbStore : ISumDbStore
{
    /// <summary>SQLITE_CONSTRAINT_UNIQUE: the (path, version) index refused a second record.</summary>
    private const int UniqueConstraint = 2067;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    private SqliteSumDbStore(string path, string connectionString)
    {
        Location = path;
        _connectionString = connectionString;
    }

    public string Location { get; }

    /// <summary>Opens (creating if needed) the file and the checksum database's tables; the ledger's tables, if the
    /// file holds them, are untouched.</summary>
    public static async Task<SqliteSumDbStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var (fullPath, connectionString) = SqliteFileModes.PrepareFile(path);
        var store = new SqliteSumDbStore(fullPath, connectionString);
        await using var connection = await store.OpenConnectionAsync(writer: true, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(SqliteSumDbSchema.Create, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return store;
    }

    public async Task<long> GetSizeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(writer: false, cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(SqliteSumDbSchema.Size, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task CommitAsync(long expectedSize, IReadOnlyList<SumDbRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenConnectionAsync(writer: true, cancellationToken).ConfigureAwait(false);
            // BEGIN IMMEDIATE: the size check and the inserts are one step against every other writer of the file.
            await using var transaction = connection.BeginTransaction(deferred: false);
            var size = await connection.ExecuteScalarAsync<long>(new CommandDefinition(SqliteSumDbSchema.Size, transaction: transaction, cancellationToken: cancellationToken))
                .ConfigureAwait(false);
            if (size != expectedSize)
                throw new LedgerConflictException($"the checksum database holds {size} records, the writer expected {expectedSize}");
            try
            {
                foreach (var row in rows)
                    await connection.ExecuteAsync(new CommandDefinition(SqliteSumDbSchema.Insert, row, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
            catch (SqliteException e) when (e.SqliteExtendedErrorCode == UniqueConstraint)
            {
                throw new SumDbDuplicateException($"a module version of this batch already has a record: {e.Message}");
            }
            // synchronous=FULL: the WAL is fsynced before Commit returns.
            transaction.Commit();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<IReadOnlyList<byte[]>> ReadNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        await using var connection = await OpenConnectionAsync(writer: false, cancellationToken).ConfigureAwait(false);
        // One read snapshot for every node asked (a tile, a proof).
        await using var transaction = connection.BeginTransaction(deferred: true);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = SqliteSumDbSchema.Hashes;
        var idx = command.Parameters.Add(new SqliteParameter { ParameterName = "@idx" });
        command.Prepare();
        var hashes = new byte[ids.Count][];
        for (var i = 0; i < ids.Count; i++)
        {
            idx.Value = ids[i].LastLeaf;
            using var reader = command.ExecuteReader();
            hashes[i] = (reader.Read() ? StoredNodes.FromRow(ids[i], Blob(reader, 0), Blob(reader, 1)) : null)
                ?? throw new LedgerCorruptException($"Merkle node {ids[i]} of the checksum database is missing or malformed in {Location}");
        }
        return hashes;
    }

    public async Task<SumDbRow?> FindAsync(string path, string version, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(writer: false, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSumDbSchema.Find;
        command.Parameters.AddWithValue("@path", path);
        command.Parameters.AddWithValue("@version", version);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRow(reader) : null;
    }

    public async IAsyncEnumerable<SumDbRow> ReadRecordsAsync(long start, long end, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(writer: false, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSumDbSchema.Range;
        command.Parameters.AddWithValue("@start", start);
        command.Parameters.AddWithValue("@end", end);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return ReadRow(reader);
        }
    }

    public async Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(writer: false, cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(deferred: true);
        var head = await connection.QuerySingleAsync<(long Size, string Note)>(
            new CommandDefinition(SqliteSumDbSchema.Head, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (head.Size < 0) return null;
        var row = await connection.QuerySingleOrDefaultAsync<(long Size, byte[] RootHash, string Note)?>(
            new CommandDefinition(SqliteSumDbSchema.CheckpointAt, new { size = head.Size }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (row is not { } r || r.Note != head.Note)
            throw new LedgerCorruptException($"checksum database head at size {head.Size} has no matching history row in {Location}");
        return new StoredCheckpoint(r.Size, r.RootHash, r.Note);
    }

    public async IAsyncEnumerable<StoredCheckpoint> ReadCheckpointsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(writer: false, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSumDbSchema.Checkpoints;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (reader.Read())
            yield return new StoredCheckpoint(reader.GetInt64(0), Blob(reader, 1), Convert.ToString(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture) ?? "");
    }

    public async Task<bool> TryAdvanceCheckpointAsync(long expectedHeadSize, StoredCheckpoint next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenConnectionAsync(writer: true, cancellationToken).ConfigureAwait(false);
            await using var transaction = connection.BeginTransaction(deferred: false);
            var moved = await connection.ExecuteAsync(new CommandDefinition(SqliteSumDbSchema.AdvanceHead,
                new { size = next.Size, note = next.Note, expected = expectedHeadSize }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (moved != 1)
            {
                transaction.Rollback();
                return false;
            }
            await connection.ExecuteAsync(new CommandDefinition(SqliteSumDbSchema.InsertCheckpoint, next, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            transaction.Commit();
            return true;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<SqliteConnection> OpenConnectionAsync(bool writer, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Durability first: FULL fsyncs the WAL on every commit. Readers wait for a busy writer rather than fail.
        await connection.ExecuteAsync(new CommandDefinition(
            writer ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;" : "PRAGMA busy_timeout=5000;",
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return connection;
    }

    private static SumDbRow ReadRow(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        Convert.ToString(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture) ?? "",
        Convert.ToString(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture) ?? "",
        Blob(reader, 3), Blob(reader, 4), Blob(reader, 5));

    /// <summary>Columns as stored, whatever their type: an edited row must reach the audit as bytes that fail to hash.</summary>
    private static byte[] Blob(SqliteDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        byte[] bytes => bytes,
        DBNull => [],
        string text => System.Text.Encoding.UTF8.GetBytes(text),
        var other => System.Text.Encoding.UTF8.GetBytes(Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? ""),
    };

    public ValueTask DisposeAsync()
    {
        _writeLock.Dispose();
        return ValueTask.CompletedTask;
    }
}
