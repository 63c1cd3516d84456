using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Attest.Ledger.Database;

/// <summary>The two SQL dialects the ledger's side tables are written in.</summary>
public enum SqlDialect
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The database a ledger lives in, for the tables kept beside it (witness cosignatures, a witness's state, shared
/// keys): a SQLite file (the ledger's own file, opened again with its own connections) or PostgreSQL. Each table's
/// code writes both dialects' statements; this only opens connections and says which dialect.
/// </summary>
public sealed class SqlDatabase : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<DbConnection>> _open;
    private readonly NpgsqlDataSource? _dataSource;

    private SqlDatabase(SqlDialect dialect, string location, Func<CancellationToken, Task<DbConnection>> open, NpgsqlDataSource? dataSource)
    {
        Dialect = dialect;
        Location = location;
        _open = open;
        _dataSource = dataSource;
    }

    public SqlDialect Dialect { get; }

    /// <summary>A file path or <c>postgresql://host:port/database</c>; never a password.</summary>
    public string Location { get; }

    public bool IsPostgres => Dialect == SqlDialect.Postgres;

    /// <summary>The PostgreSQL data source (for LISTEN/NOTIFY), or null on SQLite.</summary>
    public NpgsqlDataSource? PostgresDataSource => _dataSource;

    public static SqlDatabase Sqlite(string path)
    {
        // Owner-only, as every store of the ledger's file creates it.
        var (fullPath, connectionString) = SqliteFileModes.PrepareFile(path);
        return new SqlDatabase(SqlDialect.Sqlite, fullPath, async ct =>
        {
            var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            // The ledger's writer may hold the file for a commit: wait for it rather than fail.
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA busy_timeout=5000; PRAGMA synchronous=FULL;", cancellationToken: ct)).ConfigureAwait(false);
            return connection;
        }, null);
    }

    public static SqlDatabase Postgres(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        return new SqlDatabase(SqlDialect.Postgres, $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}",
            async ct => await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false), dataSource);
    }

    public Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default) => _open(cancellationToken);

    /// <summary>Runs idempotent schema statements (PostgreSQL: under an advisory lock, so replicas starting together
    /// do not race on CREATE).</summary>
    public async Task EnsureSchemaAsync(string sqlite, string postgres, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (IsPostgres)
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(18423916753286228)", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(IsPostgres ? postgres : sqlite, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null) await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}
