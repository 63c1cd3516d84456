using System.Runtime.CompilerServices;
using Dapper;
using Npgsql;

namespace Attest.Ledger;

/// <summary>A log's checkpoint history and head on PostgreSQL (the ledger's tables, or the checksum database's): the
/// head moves only by compare-and-swap, together with the history row of the checkpoint it points at.</summary>
internal sealed class PostgresCheckpoints(NpgsqlDataSource dataSource, string location, PostgresCheckpoints.Statements sql)
{
    /// <summary>The statements of one log's tables (head, one checkpoint, all checkpoints, insert, compare-and-swap).</summary>
    public sealed record Statements(string Head, string CheckpointAt, string Checkpoints, string InsertCheckpoint, string AdvanceHead);

    public async Task<StoredCheckpoint?> GetLatestAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var head = await connection.QuerySingleAsync<(long Size, string Note)>(new CommandDefinition(sql.Head, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (head.Size < 0) return null;
        var row = await connection.QuerySingleOrDefaultAsync<(long Size, byte[] RootHash, string Note)?>(
            new CommandDefinition(sql.CheckpointAt, new { size = head.Size }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        // The head's note is what was published; the history row must agree with it.
        if (row is not { } r || r.Note != head.Note)
            throw new LedgerCorruptException($"checkpoint head at size {head.Size} has no matching history row in {location}");
        return new StoredCheckpoint(r.Size, r.RootHash, r.Note);
    }

    public async IAsyncEnumerable<StoredCheckpoint> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql.Checkpoints, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return new StoredCheckpoint(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2));
    }

    public async Task<bool> TryAdvanceAsync(long expectedHeadSize, StoredCheckpoint next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var moved = await connection.ExecuteAsync(new CommandDefinition(sql.AdvanceHead,
            new { size = next.Size, note = next.Note, expected = expectedHeadSize }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (moved != 1)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        await connection.ExecuteAsync(new CommandDefinition(sql.InsertCheckpoint, next, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }
}
