using Attest.Ledger.Database;

namespace Attest.Server.Hosting;

/// <summary>The ledger's database for the tables kept beside the ledger (witness cosignatures and state), opened at
/// start-up: the ledger's SQLite file or its PostgreSQL database.</summary>
public sealed class LedgerDatabase : IAsyncDisposable
{
    private SqlDatabase? _database;

    public SqlDatabase Database => _database ?? throw new InvalidOperationException("the ledger database is not open yet");

    public bool IsOpen => _database is not null;

    /// <summary>Opens the database the server's ledger is configured in (once).</summary>
    public SqlDatabase Open(AttestServerOptions options, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        return _database ??= options.Ledger.IsPostgres
            ? SqlDatabase.Postgres(options.Ledger.ConnectionString!)
            : SqlDatabase.Sqlite(options.Ledger.Path ?? Path.Combine(dataDirectory, "ledger.db"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync().ConfigureAwait(false);
    }
}
