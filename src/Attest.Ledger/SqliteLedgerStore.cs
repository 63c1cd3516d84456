using System.Runtime.CompilerServices;
using Attest.Core.Transparency;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Attest.Ledger;

/// <summary>
/// The embedded ledger: one SQLite file in WAL mode with synchronous=FULL, so an acknowledged entry
/// survives a crash. Triggers make the entries table append-only; anything that slips past them (a
/// direct edit with the triggers dropped) is caught by replaying the Merkle tree (<see cref="LedgerAuditor"/>).
/// One writer connection serves commits (SQLite has one writer anyway); reads use pooled connections. WAL
/// checkpoints run in the background (<see cref="SqliteWalCheckpointer"/>), not inside an entry commit.
/// </summary>
public sealed class SqliteLedgerStore : ILedgerStore
{
    private readonly string _connectionString;
    private readonly SqliteWalOptions _wal;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private SqliteWriterStatements? _writer;
    private SqliteWalCheckpointer? _checkpointer;

    private SqliteLedgerStore(string path, string connectionString, SqliteWalOptions wal)
    {
        Location = path;
        _connectionString = connectionString;
        _wal = wal;
    }

    public string Location { get; }

    /// <summary>
    /// Told when a background WAL checkpoint fails (a disk or file problem). Entries stay durable either way: the
    /// writer's own checkpoint still bounds the WAL, and the next commit tries again; the owner decides how to report it.
    /// </summary>
    public Action<Exception>? WalCheckpointFailed { get; set; }

    /// <summary>Background WAL checkpoints completed so far (each copies the WAL into the database file).</summary>
    internal long WalCheckpoints => _checkpointer?.Completed ?? 0;

    /// <summary>Background checkpoints that held commits back so that the WAL could start over.</summary>
    internal long HeldBackWalCheckpoints => _checkpointer?.HeldBackCheckpoints ?? 0;

    /// <summary>Opens (creating if needed) the ledger file and its schema.</summary>
    public static Task<SqliteLedgerStore> OpenAsync(string path, CancellationToken cancellationToken = default) =>
        OpenAsync(path, SqliteWalOptions.Default, cancellationToken);

    internal static async Task<SqliteLedgerStore> OpenAsync(string path, SqliteWalOptions wal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(wal);
        var (fullPath, connectionString) = SqliteFileModes.PrepareFile(path);
        var store = new SqliteLedgerStore(fullPath, connectionString, wal);
        await using var connection = await store.OpenConnectionAsync(cancellationToken, writer: true).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(SqliteSchema.Create, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        foreach (var (column, add) in SqliteSchema.AddedColumns)
        {
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(SqliteSchema.HasColumn, new { name = column }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
                await connection.ExecuteAsync(new CommandDefinition(add, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        await connection.ExecuteAsync(new CommandDefinition(SqliteSchema.Indexes, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return store;
    }

    public async Task<long> GetSizeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(
            new CommandDefinition(SqliteSchema.Size, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task CommitAsync(long expectedSize, IReadOnlyList<LedgerRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var writer = await GetWriterAsync(cancellationToken).ConfigureAwait(false);
            // BEGIN IMMEDIATE: take the write lock before reading the size, so the check and the inserts are one step.
            await using var transaction = writer.Connection.BeginTransaction(deferred: false);
            writer.Size.Transaction = transaction;
            var size = (long)writer.Size.ExecuteScalar()!;
            if (size != expectedSize)
                throw new LedgerConflictException($"the log holds {size} entries, the writer expected {expectedSize}");

            // Prepared once per connection and re-bound per row: per-row overhead matters at group-commit rates.
            var insert = writer.Insert;
            var p = writer.InsertParameters;
            insert.Transaction = transaction;
            DateTimeOffset? at = null;
            var atText = "";
            foreach (var row in rows)
            {
                var e = row.Entry;
                if (e.RecordedAt != at)
                {
                    // A batch shares one time: format it once.
                    at = e.RecordedAt;
                    atText = e.RecordedAtText;
                }
                p[0].Value = e.Index;
                p[1].Value = e.Entry.Kind;
                p[2].Value = atText;
                p[3].Value = (object?)e.Entry.Image ?? DBNull.Value;
                p[4].Value = (object?)e.Entry.Digest ?? DBNull.Value;
                p[5].Value = (object?)e.Entry.Namespace ?? DBNull.Value;
                p[6].Value = (object?)e.Entry.Verdict ?? DBNull.Value;
                p[7].Value = (object?)e.Entry.Client ?? DBNull.Value;
                p[8].Value = (object?)e.Entry.Identity ?? DBNull.Value;
                p[9].Value = e.Bytes;
                p[10].Value = row.LeafHash;
                p[11].Value = row.SubtreeHashes;
                insert.ExecuteNonQuery(); // SQLite has no async I/O; the async overload only adds overhead here
            }
            // synchronous=FULL: the WAL is fsynced before Commit returns, so the caller may acknowledge.
            transaction.Commit();
            _checkpointer?.Committed();
        }
        catch (Exception e) when (e is not LedgerConflictException && e is not OperationCanceledException)
        {
            // The writer connection may be in an unknown state; reopen it next time.
            if (_writer is not null) await _writer.DisposeAsync().ConfigureAwait(false);
            _writer = null;
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<IReadOnlyList<byte[]>> ReadNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One read snapshot for all nodes of the proof.
        await using var transaction = connection.BeginTransaction(deferred: true);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = SqliteSchema.Hashes;
        var idx = command.Parameters.Add(new SqliteParameter { ParameterName = "@idx" });
        command.Prepare();

        var hashes = new byte[ids.Count][];
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            // Node (L, j) is stored with the entry whose append completed it: the subtree's last leaf.
            idx.Value = id.LastLeaf;
            using var reader = command.ExecuteReader();
            byte[]? hash = null;
            if (reader.Read())
            {
                var stored = ReadBlob(reader, id.Level == 0 ? 0 : 1);
                var offset = id.Level == 0 ? 0 : (id.Level - 1) * MerkleHash.Size;
                if (stored.Length >= offset + MerkleHash.Size) hash = stored[offset..(offset + MerkleHash.Size)];
            }
            hashes[i] = hash ?? throw new LedgerCorruptException($"Merkle node {id} is missing or malformed in {Location}");
        }
        return hashes;
    }

    public async IAsyncEnumerable<StoredEntry> ReadEntriesAsync(long start, long end,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.EntriesRange;
        command.Parameters.AddWithValue("@start", start);
        command.Parameters.AddWithValue("@end", end);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        // SQLite reads are synchronous underneath; ReadAsync would only add a task per row to a full replay.
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return ReadEntry(reader);
        }
    }

    public async Task<IReadOnlyList<StoredEntry>> QueryAsync(LedgerQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(query.NewestFirst ? SqliteSchema.QueryNewestFirst : SqliteSchema.Query,
            query.ToParameters(), cancellationToken: cancellationToken)).ConfigureAwait(false);
        var rows = new List<StoredEntry>();
        while (reader.Read()) rows.Add(ReadEntry(reader));
        return rows;
    }

    /// <summary>A row of <see cref="SqliteSchema.EntryColumns"/>, as stored whatever the types.</summary>
    private static StoredEntry ReadEntry(System.Data.Common.DbDataReader reader) =>
        new(reader.GetInt64(0), ReadBlob(reader, 1), ReadBlob(reader, 2), ReadBlob(reader, 3))
        {
            Columns = new StoredColumns(ReadText(reader, 4), ReadText(reader, 5), ReadText(reader, 6), ReadText(reader, 7), ReadText(reader, 8),
                ReadText(reader, 9), ReadText(reader, 10)),
        };

    /// <summary>A column as text; an edited value of another type becomes text that cannot equal the body's member.</summary>
    private static string? ReadText(System.Data.Common.DbDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        DBNull => null,
        string text => text,
        byte[] bytes => "x'" + Convert.ToHexStringLower(bytes) + "'",
        var other => Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture),
    };

    public async Task<IReadOnlyList<StoredEntry>> LookupAsync(LedgerLookup column, object value, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sql = SqliteSchema.Lookup(column);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(long Idx, byte[] Body, byte[] LeafHash, byte[] SubtreeHashes)>(new CommandDefinition(sql,
            new { value, limit = Math.Clamp(limit, 1, LedgerLimits.MaxPageSize) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => new StoredEntry(r.Idx, r.Body, r.LeafHash, r.SubtreeHashes))];
    }

    public async Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var head = await connection.QuerySingleAsync<(long Size, string Note)>(
            new CommandDefinition(SqliteSchema.Head, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (head.Size < 0) return null;
        var row = await connection.QuerySingleOrDefaultAsync<(long Size, byte[] RootHash, string Note)?>(
            new CommandDefinition(SqliteSchema.CheckpointAt, new { size = head.Size }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        // The head's note is what was published; the history row must agree with it.
        if (row is not { } r || r.Note != head.Note)
            throw new LedgerCorruptException($"checkpoint head at size {head.Size} has no matching history row in {Location}");
        return new StoredCheckpoint(r.Size, r.RootHash, r.Note);
    }

    public async IAsyncEnumerable<StoredCheckpoint> ReadCheckpointsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.Checkpoints;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return new StoredCheckpoint(reader.GetInt64(0), ReadBlob(reader, 1), reader.GetString(2));
    }

    /// <summary>Reads the head as published (size and note), without cross-checking history; for audits.</summary>
    public async Task<(long Size, string Note)> ReadHeadAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleAsync<(long Size, string Note)>(
            new CommandDefinition(SqliteSchema.Head, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<bool> TryAdvanceCheckpointAsync(long expectedHeadSize, StoredCheckpoint next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = (await GetWriterAsync(cancellationToken).ConfigureAwait(false)).Connection;
            // A checkpoint is a signature over entries that are already durable, so its row need not cost an fsync of
            // its own: with synchronous=NORMAL the WAL frames reach the disk with the next entry commit (FULL, which
            // syncs the whole WAL). A crash in between loses only this row; the log signs that tree again later, and any
            // copy already handed out stays consistent with it. Entry commits stay FULL.
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA synchronous=NORMAL", cancellationToken: cancellationToken)).ConfigureAwait(false);
            try
            {
                await using var transaction = connection.BeginTransaction(deferred: false);
                var moved = await connection.ExecuteAsync(new CommandDefinition(SqliteSchema.AdvanceHead,
                    new { size = next.Size, note = next.Note, expected = expectedHeadSize }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (moved != 1)
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    return false;
                }
                await connection.ExecuteAsync(new CommandDefinition(SqliteSchema.InsertCheckpoint, next, transaction, cancellationToken: cancellationToken))
                    .ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                _checkpointer?.Committed();
                return true;
            }
            finally
            {
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition("PRAGMA synchronous=FULL", cancellationToken: CancellationToken.None)).ConfigureAwait(false);
                }
                catch (SqliteException)
                {
                    // Never leave the writer acknowledging entries without fsync: drop it; the next commit reopens it FULL.
                    var broken = _writer;
                    _writer = null;
                    if (broken is not null) await broken.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The writer connection, opened on first use, and with it the background checkpointer: a store that is
    /// only read (an audit, an export) starts no thread.</summary>
    private async Task<SqliteWriterStatements> GetWriterAsync(CancellationToken cancellationToken)
    {
        if (_writer is { } writer) return writer;
        writer = SqliteWriterStatements.Prepare(await OpenConnectionAsync(cancellationToken, writer: true).ConfigureAwait(false));
        if (_wal.BackgroundCheckpointDelay is { } delay) _checkpointer ??= new SqliteWalCheckpointer(_connectionString, delay, _wal.CatchUpRestartPages, _writeLock, e => WalCheckpointFailed?.Invoke(e));
        return _writer = writer;
    }

    internal async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken, bool writer = false)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Per-connection settings: durability first (FULL fsyncs the WAL on every commit). WAL mode is stored in the
        // file once set; readers only need to wait for a busy writer rather than fail. The writer checkpoints by itself
        // only past WriterCheckpointPages (a bound on the WAL should the background checkpointer fall behind).
        if (writer)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000; PRAGMA wal_autocheckpoint={_wal.WriterCheckpointPages};",
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        else if (!ConfiguredReaders.TryGetValue(connection.Handle!, out _))
        {
            // A reader's setting stays with its native connection, which the pool hands out again and again: set once.
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA busy_timeout=5000;", cancellationToken: cancellationToken)).ConfigureAwait(false);
            ConfiguredReaders.AddOrUpdate(connection.Handle!, ConfiguredMarker);
        }
        return connection;
    }

    /// <summary>Native connections whose reader settings are made; entries go with the connections.</summary>
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> ConfiguredReaders = new();

    private static readonly object ConfiguredMarker = new();

    /// <summary>Rows are read as stored, whatever their type: an edited row (say, text where a blob was) must reach
    /// the audit as bytes that fail to hash, not crash it.</summary>
    private static byte[] ReadBlob(System.Data.Common.DbDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        byte[] bytes => bytes,
        DBNull => [],
        string text => System.Text.Encoding.UTF8.GetBytes(text),
        var other => System.Text.Encoding.UTF8.GetBytes(Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? ""),
    };

    public async ValueTask DisposeAsync()
    {
        _checkpointer?.Dispose();
        _checkpointer = null;
        if (_writer is not null) await _writer.DisposeAsync().ConfigureAwait(false);
        _writer = null;
        _writeLock.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
