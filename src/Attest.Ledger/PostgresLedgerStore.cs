using System.Runtime.CompilerServices;
using Attest.Core.Transparency;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Attest.Ledger;

/// <summary>
/// The shared ledger for several replicas: PostgreSQL through Npgsql and Dapper. Every commit takes a
/// transaction-scoped advisory lock, so exactly one sequencer writes at a time across replicas; each replica's
/// <see cref="AuditLedger"/> still groups its own concurrent appends into one transaction. Append-only triggers are
/// ENABLE ALWAYS, and the checkpoint head moves only by compare-and-swap.
/// </summary>
public sealed class PostgresLedgerStore : ISequencedLedgerStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresCheckpoints _checkpoints;

    private PostgresLedgerStore(NpgsqlDataSource dataSource, string location)
    {
        _dataSource = dataSource;
        Location = location;
        _checkpoints = new PostgresCheckpoints(dataSource, location, new PostgresCheckpoints.Statements(
            PostgresSchema.Head, PostgresSchema.CheckpointAt, PostgresSchema.Checkpoints, PostgresSchema.InsertCheckpoint, PostgresSchema.AdvanceHead));
    }

    public string Location { get; }

    /// <summary>Connects and creates the schema if needed. The location shown is host/database, never the password.</summary>
    public static async Task<PostgresLedgerStore> OpenAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var store = new PostgresLedgerStore(dataSource, $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}");
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(PostgresSchema.SchemaLock, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(PostgresSchema.Create, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<long> GetSizeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(PostgresSchema.Size, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public Task CommitAsync(long expectedSize, IReadOnlyList<LedgerRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return CommitInTurnAsync((size, _) => size == expectedSize
            ? Task.FromResult(rows)
            : throw new LedgerConflictException($"the log holds {size} entries, the writer expected {expectedSize}"), cancellationToken);
    }

    private static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<LedgerRow> rows, CancellationToken cancellationToken)
    {
        await using (var insert = new NpgsqlCommand(PostgresSchema.InsertEntries, connection, transaction))
        {
            Add(insert, "idx", NpgsqlDbType.Bigint, rows.Select(r => r.Entry.Index).ToArray());
            Add(insert, "kind", NpgsqlDbType.Text, rows.Select(r => r.Entry.Entry.Kind).ToArray());
            Add(insert, "recorded_at", NpgsqlDbType.Text, rows.Select(r => r.Entry.RecordedAtText).ToArray());
            Add(insert, "image", NpgsqlDbType.Text, rows.Select(r => r.Entry.Entry.Image).ToArray());
            Add(insert, "digest", NpgsqlDbType.Text, rows.Select(r => r.Entry.Entry.Digest).ToArray());
            Add(insert, "namespace", NpgsqlDbType.Text, rows.Select(r => r.Entry.Entry.Namespace).ToArray());
            Add(insert, "verdict", NpgsqlDbType.Text, rows.Select(r => r.Entry.Entry.Verdict).ToArray());
            Add(insert, "client", NpgsqlDbType.Text, rows.Select(r => r.Entry.Entry.Client).ToArray());
            Add(insert, "identity", NpgsqlDbType.Text, rows.Select(r => r.Entry.Entry.Identity).ToArray());
            Add(insert, "body", NpgsqlDbType.Bytea, rows.Select(r => r.Entry.Bytes).ToArray());
            Add(insert, "leaf_hash", NpgsqlDbType.Bytea, rows.Select(r => r.LeafHash).ToArray());
            Add(insert, "subtree_hashes", NpgsqlDbType.Bytea, rows.Select(r => r.SubtreeHashes).ToArray());
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task CommitInTurnAsync(Func<long, CancellationToken, Task<IReadOnlyList<LedgerRow>>> build, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(build);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // The sequencer lock: held until commit, so reading the size and inserting are one step for all replicas.
        await connection.ExecuteAsync(new CommandDefinition(PostgresSchema.LockSequencer, new { key = PostgresSchema.SequencerLock },
            transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var size = await connection.ExecuteScalarAsync<long>(new CommandDefinition(PostgresSchema.Size, transaction: transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        var rows = await build(size, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0) return;
        if (rows[0].Entry.Index != size) throw new InvalidOperationException($"rows built for index {rows[0].Entry.Index}, the log holds {size} entries");
        await InsertAsync(connection, transaction, rows, cancellationToken).ConfigureAwait(false);
        // PostgreSQL's commit waits for the WAL flush (synchronous_commit=on, the default): durable on return.
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<byte[]>> ReadNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        // Node (L, j) lives with the entry whose append completed it; one round trip fetches every row the proof needs.
        var rows = new Dictionary<long, (byte[] Leaf, byte[] Subtrees)>();
        await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var command = new NpgsqlCommand(PostgresSchema.Hashes, connection))
        {
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ids.Select(id => id.LastLeaf).Distinct().ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                rows[reader.GetInt64(0)] = (reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2));
        }
        var hashes = new byte[ids.Count][];
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            byte[]? hash = null;
            if (rows.TryGetValue(id.LastLeaf, out var row))
            {
                var stored = id.Level == 0 ? row.Leaf : row.Subtrees;
                var offset = id.Level == 0 ? 0 : (id.Level - 1) * MerkleHash.Size;
                if (stored.Length >= offset + MerkleHash.Size) hash = stored[offset..(offset + MerkleHash.Size)];
            }
            hashes[i] = hash ?? throw new LedgerCorruptException($"Merkle node {id} is missing or malformed in {Location}");
        }
        return hashes;
    }

    public async IAsyncEnumerable<StoredEntry> ReadEntriesAsync(long start, long end, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(PostgresSchema.EntriesRange, connection);
        command.Parameters.AddWithValue("start", start);
        command.Parameters.AddWithValue("end", end);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return ReadEntry(reader);
    }

    public async Task<IReadOnlyList<StoredEntry>> LookupAsync(LedgerLookup column, object value, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sql = PostgresSchema.Lookup(column);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(long Idx, byte[] Body, byte[] LeafHash, byte[] SubtreeHashes)>(new CommandDefinition(sql,
            new { value, limit = Math.Clamp(limit, 1, LedgerLimits.MaxPageSize) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => new StoredEntry(r.Idx, r.Body, r.LeafHash, r.SubtreeHashes))];
    }

    public async Task<IReadOnlyList<StoredEntry>> QueryAsync(LedgerQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(query.NewestFirst ? PostgresSchema.QueryNewestFirst : PostgresSchema.Query,
            query.ToParameters(), cancellationToken: cancellationToken)).ConfigureAwait(false);
        var rows = new List<StoredEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add(ReadEntry(reader));
        return rows;
    }

    /// <summary>A row of the entry columns (idx, body, leaf_hash, subtree_hashes, then the search columns).</summary>
    private static StoredEntry ReadEntry(System.Data.Common.DbDataReader reader) =>
        new(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<byte[]>(3))
        {
            Columns = new StoredColumns(Text(reader, 4), Text(reader, 5), Text(reader, 6), Text(reader, 7), Text(reader, 8), Text(reader, 9), Text(reader, 10)),
        };

    private static string? Text(System.Data.Common.DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken = default) => _checkpoints.GetLatestAsync(cancellationToken);

    public IAsyncEnumerable<StoredCheckpoint> ReadCheckpointsAsync(CancellationToken cancellationToken = default) => _checkpoints.ReadAllAsync(cancellationToken);

    public Task<bool> TryAdvanceCheckpointAsync(long expectedHeadSize, StoredCheckpoint next, CancellationToken cancellationToken = default) =>
        _checkpoints.TryAdvanceAsync(expectedHeadSize, next, cancellationToken);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static void Add<T>(NpgsqlCommand command, string name, NpgsqlDbType type, T[] values) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values });
}
