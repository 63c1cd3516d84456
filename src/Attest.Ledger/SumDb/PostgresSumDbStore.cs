using System.Runtime.CompilerServices;
using Attest.Core.Transparency;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Attest.Ledger.SumDb;

/// <summary>
/// The checksum database's log in the ledger's PostgreSQL database (its own tables), shared by replicas: every commit
/// takes the checksum database's transaction-scoped advisory lock, so one writer at a time checks the size and
/// inserts; the unique (path, version) constraint keeps the first record final across replicas.
/// </summary>
public sealed class PostgresSumDbStore : ISumDbStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresCheckpoints _checkpoints;

    private PostgresSumDbStore(NpgsqlDataSource dataSource, string location)
    {
        _dataSource = dataSource;
        Location = location;
        _checkpoints = new PostgresCheckpoints(dataSource, location, new PostgresCheckpoints.Statements(
            PostgresSumDbSchema.Head, PostgresSumDbSchema.CheckpointAt, PostgresSumDbSchema.Checkpoints, PostgresSumDbSchema.InsertCheckpoint, PostgresSumDbSchema.AdvanceHead));
    }

    public string Location { get; }

    /// <summary>Connects and creates the tables if needed. The location shown is host/database, never the password.</summary>
    public static async Task<PostgresSumDbStore> OpenAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(PostgresSchema.SchemaLock, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(PostgresSumDbSchema.Create, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new PostgresSumDbStore(dataSource, $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}");
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
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(PostgresSumDbSchema.Size, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task CommitAsync(long expectedSize, IReadOnlyList<SumDbRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(PostgresSchema.LockSequencer, new { key = PostgresSumDbSchema.SequencerLock },
            transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var size = await connection.ExecuteScalarAsync<long>(new CommandDefinition(PostgresSumDbSchema.Size, transaction: transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (size != expectedSize)
            throw new LedgerConflictException($"the checksum database holds {size} records, the writer expected {expectedSize}");
        try
        {
            foreach (var row in rows)
                await connection.ExecuteAsync(new CommandDefinition(PostgresSumDbSchema.Insert, row, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new SumDbDuplicateException($"a module version of this batch already has a record: {e.MessageText}");
        }
        // The commit waits for the WAL flush (synchronous_commit=on, the default): durable on return.
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<byte[]>> ReadNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var rows = new Dictionary<long, (byte[] Leaf, byte[] Subtrees)>();
        await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var command = new NpgsqlCommand(PostgresSumDbSchema.Hashes, connection))
        {
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ids.Select(id => id.LastLeaf).Distinct().ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                rows[reader.GetInt64(0)] = (reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2));
        }
        var hashes = new byte[ids.Count][];
        for (var i = 0; i < ids.Count; i++)
            hashes[i] = (rows.TryGetValue(ids[i].LastLeaf, out var row) ? StoredNodes.FromRow(ids[i], row.Leaf, row.Subtrees) : null)
                ?? throw new LedgerCorruptException($"Merkle node {ids[i]} of the checksum database is missing or malformed in {Location}");
        return hashes;
    }

    public async Task<SumDbRow?> FindAsync(string path, string version, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(PostgresSumDbSchema.Find, connection);
        command.Parameters.AddWithValue("path", path);
        command.Parameters.AddWithValue("version", version);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRow(reader) : null;
    }

    public async IAsyncEnumerable<SumDbRow> ReadRecordsAsync(long start, long end, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(PostgresSumDbSchema.Range, connection);
        command.Parameters.AddWithValue("start", start);
        command.Parameters.AddWithValue("end", end);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return ReadRow(reader);
    }

    public Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken = default) => _checkpoints.GetLatestAsync(cancellationToken);

    public IAsyncEnumerable<StoredCheckpoint> ReadCheckpointsAsync(CancellationToken cancellationToken = default) => _checkpoints.ReadAllAsync(cancellationToken);

    public Task<bool> TryAdvanceCheckpointAsync(long expectedHeadSize, StoredCheckpoint next, CancellationToken cancellationToken = default) =>
        _checkpoints.TryAdvanceAsync(expectedHeadSize, next, cancellationToken);

    private static SumDbRow ReadRow(NpgsqlDataReader reader) => new(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
        reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<byte[]>(4), reader.GetFieldValue<byte[]>(5));

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
