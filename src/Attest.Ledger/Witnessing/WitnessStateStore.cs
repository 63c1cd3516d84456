using Attest.Ledger.Database;
using Dapper;

namespace Attest.Ledger.Witnessing;

/// <summary>The latest checkpoint a witness cosigned for one log.</summary>
public sealed record WitnessedCheckpoint(string Origin, long Size, byte[] RootHash, string Note);

/// <summary>
/// A witness's memory: per log origin, the latest checkpoint it cosigned. It only moves by compare-and-swap on the
/// previous size and root, so two requests checked against the same state cannot both move it (the race
/// c2sp.org/tlog-witness warns of, where a smaller checkpoint would be stored after a larger one).
/// </summary>
public sealed class WitnessStateStore(SqlDatabase database)
{
    private const string SqliteSchema = """
        CREATE TABLE IF NOT EXISTS witness_checkpoints (
            origin    TEXT PRIMARY KEY,
            size      INTEGER NOT NULL,
            root_hash BLOB NOT NULL,
            note      TEXT NOT NULL
        );
        """;

    private const string PostgresSchema = """
        CREATE TABLE IF NOT EXISTS witness_checkpoints (
            origin    text PRIMARY KEY,
            size      bigint NOT NULL,
            root_hash bytea NOT NULL,
            note      text NOT NULL
        );
        """;

    public string Location => database.Location;

    public static async Task<WitnessStateStore> OpenAsync(SqlDatabase database, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        await database.EnsureSchemaAsync(SqliteSchema, PostgresSchema, cancellationToken).ConfigureAwait(false);
        return new WitnessStateStore(database);
    }

    public async Task<WitnessedCheckpoint?> GetAsync(string origin, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<(long Size, byte[] RootHash, string Note)?>(new CommandDefinition(
            "SELECT size AS Size, root_hash AS RootHash, note AS Note FROM witness_checkpoints WHERE origin = @origin",
            new { origin }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is { } r ? new WitnessedCheckpoint(origin, r.Size, r.RootHash, r.Note) : null;
    }

    /// <summary>Records <paramref name="next"/> if the stored state is still <paramref name="expected"/> (null: none
    /// yet). False, writing nothing, when another request moved it first.</summary>
    public async Task<bool> TryAdvanceAsync(WitnessedCheckpoint? expected, WitnessedCheckpoint next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var changed = expected is null
            ? await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO witness_checkpoints (origin, size, root_hash, note) VALUES (@Origin, @Size, @RootHash, @Note) ON CONFLICT (origin) DO NOTHING",
                next, cancellationToken: cancellationToken)).ConfigureAwait(false)
            : await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE witness_checkpoints SET size = @size, root_hash = @root, note = @note WHERE origin = @origin AND size = @oldSize AND root_hash = @oldRoot",
                new { size = next.Size, root = next.RootHash, note = next.Note, origin = next.Origin, oldSize = expected.Size, oldRoot = expected.RootHash },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        return changed == 1;
    }
}
