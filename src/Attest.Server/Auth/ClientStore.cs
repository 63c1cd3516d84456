using System.Data.Common;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Attest.Server.Auth;

/// <summary>OAuth2 clients: in a SQLite file beside a SQLite ledger, or in the PostgreSQL database of a shared ledger (so
/// every replica knows every client). Rows are never deleted: revoking a client stamps <c>revoked_at</c>, so the list
/// stays a history, and the ledger records every creation and revocation. Beside them, the access tokens revoked one by
/// one (RFC 7009), by token id until they expire: every replica reads the same table, so a revocation holds everywhere
/// at once.</summary>
public sealed class ClientStore
{
    private const string PostgresSchema = """
        CREATE TABLE IF NOT EXISTS clients (
            client_id     TEXT PRIMARY KEY,
            name          TEXT NOT NULL,
            scopes        TEXT NOT NULL,
            secret_sha256 BYTEA NOT NULL,
            created_at    TEXT NOT NULL,
            revoked_at    TEXT
        );
        CREATE OR REPLACE FUNCTION clients_no_delete() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'clients are revoked, never deleted'; END $$;
        CREATE OR REPLACE TRIGGER clients_no_delete BEFORE DELETE ON clients FOR EACH ROW EXECUTE FUNCTION clients_no_delete();
        CREATE OR REPLACE TRIGGER clients_no_truncate BEFORE TRUNCATE ON clients FOR EACH STATEMENT EXECUTE FUNCTION clients_no_delete();
        CREATE TABLE IF NOT EXISTS revoked_tokens (
            token_id   TEXT PRIMARY KEY,
            client_id  TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT NOT NULL
        );
        """;

    private const string SqliteSchema = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = FULL;
        CREATE TABLE IF NOT EXISTS clients (
            client_id     TEXT PRIMARY KEY,
            name          TEXT NOT NULL,
            scopes        TEXT NOT NULL,
            secret_sha256 BLOB NOT NULL,
            created_at    TEXT NOT NULL,
            revoked_at    TEXT
        );
        CREATE TRIGGER IF NOT EXISTS clients_no_delete BEFORE DELETE ON clients
        BEGIN SELECT RAISE(ABORT, 'clients are revoked, never deleted'); END;
        CREATE TABLE IF NOT EXISTS revoked_tokens (
            token_id   TEXT PRIMARY KEY,
            client_id  TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT NOT NULL
        );
        """;

    private readonly Func<CancellationToken, Task<DbConnection>> _open;

    private ClientStore(string location, Func<CancellationToken, Task<DbConnection>> open)
    {
        Location = location;
        _open = open;
    }

    /// <summary>Where the clients are (a file path or "PostgreSQL host/database"), never a secret.</summary>
    public string Location { get; }

    public static async Task<ClientStore> OpenSqliteAsync(string path, CancellationToken cancellationToken = default)
    {
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        // Secret hashes: the database and its -wal/-shm are owner-only from the first byte.
        Attest.Ledger.SqliteFileModes.MakeOwnerOnly(fullPath);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = fullPath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true }.ToString();
        var store = new ClientStore(fullPath, async ct =>
        {
            var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        });
        await store.InitializeAsync(SqliteSchema, cancellationToken).ConfigureAwait(false);
        return store;
    }

    public static async Task<ClientStore> OpenPostgresAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var store = new ClientStore($"PostgreSQL {builder.Host}/{builder.Database}", async ct => await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false));
        await store.InitializeAsync(PostgresSchema, cancellationToken).ConfigureAwait(false);
        return store;
    }

    private async Task InitializeAsync(string schema, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(schema, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM clients", cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<OAuthClient> CreateAsync(string clientId, string name, IReadOnlyList<string> scopes, byte[] secretHash, DateTimeOffset now,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO clients (client_id, name, scopes, secret_sha256, created_at) VALUES (@clientId, @name, @scopes, @secretHash, @createdAt)",
            new { clientId, name, scopes = string.Join(' ', scopes), secretHash, createdAt = Format(now) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new OAuthClient(clientId, name, scopes, Truncate(now), null);
    }

    /// <summary>The client and its stored secret hash, or null when no such client was ever registered.</summary>
    public async Task<(OAuthClient Client, byte[] SecretHash)?> FindAsync(string clientId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<ClientRow>(new CommandDefinition(
            "SELECT client_id AS ClientId, name AS Name, scopes AS Scopes, secret_sha256 AS SecretSha256, created_at AS CreatedAt, revoked_at AS RevokedAt FROM clients WHERE client_id = @clientId",
            new { clientId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is null ? null : (row.ToClient(), row.SecretSha256);
    }

    public async Task<IReadOnlyList<OAuthClient>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ClientRow>(new CommandDefinition(
            "SELECT client_id AS ClientId, name AS Name, scopes AS Scopes, secret_sha256 AS SecretSha256, created_at AS CreatedAt, revoked_at AS RevokedAt FROM clients ORDER BY created_at, client_id",
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToClient()).ToList();
    }

    /// <summary>Revokes an active client; returns it, or null when there is no such client. Revoking twice keeps the
    /// first time. The last active administrator is not revoked (<c>LastAdministrator</c>): nobody could then manage
    /// clients or keys. The check and the change are one statement (SQLite), or run under a table lock (PostgreSQL,
    /// where replicas revoking two administrators at once would otherwise both see the other still active).</summary>
    public async Task<(OAuthClient? Client, bool LastAdministrator)> RevokeAsync(string clientId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        int changed;
        await using (var connection = await OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if (connection is NpgsqlConnection)
                await connection.ExecuteAsync(new CommandDefinition("LOCK TABLE clients IN SHARE ROW EXCLUSIVE MODE", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            changed = await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE clients SET revoked_at = @now
                WHERE client_id = @clientId AND revoked_at IS NULL
                  AND (' ' || scopes || ' ' NOT LIKE @admin
                       OR EXISTS (SELECT 1 FROM clients other
                                  WHERE other.client_id <> @clientId AND other.revoked_at IS NULL AND ' ' || other.scopes || ' ' LIKE @admin))
                """,
                new { clientId, now = Format(now), admin = $"% {Scopes.Admin} %" }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        var client = (await FindAsync(clientId, cancellationToken).ConfigureAwait(false))?.Client;
        return (client, changed == 0 && client is { IsActive: true });
    }

    /// <summary>The active clients holding scope admin.</summary>
    public async Task<long> CountActiveAdministratorsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM clients WHERE revoked_at IS NULL AND ' ' || scopes || ' ' LIKE @admin",
            new { admin = $"% {Scopes.Admin} %" }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>How long a revoked token's row outlives the token's expiry. A replica refuses an expired token by its
    /// own clock; one whose clock lags another's would, without the row, take a revoked token as live again for as long
    /// as it lags. Far beyond the clock differences of NTP-synchronised hosts, and it costs only a few rows.</summary>
    public static readonly TimeSpan RevokedTokenRetention = TimeSpan.FromMinutes(10);

    /// <summary>Records one access token as revoked (revoking twice keeps the first). Rows whose token expired more
    /// than <see cref="RevokedTokenRetention"/> ago are dropped: no replica accepts or introspects that token as active
    /// any more, so the row answers nothing.</summary>
    public async Task RevokeTokenAsync(string tokenId, string clientId, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO revoked_tokens (token_id, client_id, expires_at, revoked_at) VALUES (@tokenId, @clientId, @expiresAt, @now) ON CONFLICT (token_id) DO NOTHING",
            new { tokenId, clientId, expiresAt = Format(expiresAt), now = Format(now) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM revoked_tokens WHERE expires_at < @horizon",
            new { horizon = Format(now - RevokedTokenRetention) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Whether the client is registered and active, and whether the token was revoked: one query, read from the
    /// shared database on every call (no cache), so a revocation through any replica holds on every replica at once.</summary>
    public async Task<(bool ClientActive, bool TokenRevoked)> StandingAsync(string clientId, string tokenId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleAsync<StandingRow>(new CommandDefinition(
            """
            SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM clients WHERE client_id = @clientId AND revoked_at IS NULL) THEN 1 ELSE 0 END AS BIGINT) AS ClientActive,
                   CAST(CASE WHEN EXISTS (SELECT 1 FROM revoked_tokens WHERE token_id = @tokenId) THEN 1 ELSE 0 END AS BIGINT) AS TokenRevoked
            """,
            new { clientId, tokenId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return (row.ClientActive == 1, row.TokenRevoked == 1);
    }

    private Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => _open(cancellationToken);

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Truncate(DateTimeOffset time) => Parse(Format(time));

    private static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private sealed class StandingRow
    {
        public long ClientActive { get; init; }
        public long TokenRevoked { get; init; }
    }

    private sealed class ClientRow
    {
        public string ClientId { get; init; } = "";
        public string Name { get; init; } = "";
        public string Scopes { get; init; } = "";
        public byte[] SecretSha256 { get; init; } = [];
        public string CreatedAt { get; init; } = "";
        public string? RevokedAt { get; init; }

        public OAuthClient ToClient() => new(ClientId, Name, Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Parse(CreatedAt), RevokedAt is null ? null : Parse(RevokedAt));
    }
}
