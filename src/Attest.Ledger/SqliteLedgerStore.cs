using Dapper;
using Microsoft.Data.Sqlite;

namespace Attest.Ledger;

/// <summary>
/// The embedded ledger: one SQLite file in WAL mode with synchronous=FULL, so an acknowledged entry
/// survives a crash. Triggers make the entries table append-only; anything that slips past them (a
/// direct edit with the triggers dropped) is caught by replaying the Merkle tree.
/// </summary>
public sealed class SqliteLedgerStore : ILedgerStore
{
    private readonly string _connectionString;

    private SqliteLedgerStore(string path, string connectionString)
    {
        Location = path;
        _connectionString = connectionString;
    }

    public string Location { get; }

    /// <summary>Opens (creating if needed) the ledger file and its schema.</summary>
    public static async Task<SqliteLedgerStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        SqliteProvider.EnsureInitialized();
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
        var store = new SqliteLedgerStore(fullPath, connectionString);
        await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(SqliteSchema.Create, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        return store;
    }

    public async Task<long> GetSizeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(
            new CommandDefinition("SELECT count(*) FROM entries", cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    internal async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Per-connection settings: durability first (FULL fsyncs the WAL on every commit).
        await connection.ExecuteAsync(new CommandDefinition(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return connection;
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
