using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Attest.Server.Auth;

/// <summary>OAuth2 clients in a SQLite file beside the ledger. Rows are never deleted: revoking a client stamps
/// <c>revoked_at</c>, so the list stays a history, and the ledger records every creation and revocation.</summary>
public sealed class ClientStore
{
    private const string Schema = """
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
        """;

    private readonly string _connectionString;

    private ClientStore(string path, string connectionString)
    {
        Location = path;
        _connectionString = connectionString;
    }

    public string Location { get; }

    public static async Task<ClientStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        SQLitePCL.Batteries_V2.Init();
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = fullPath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true }.ToString();
        var store = new ClientStore(fullPath, connectionString);
        await using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(Schema, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fullPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return store;
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

    /// <summary>Revokes an active client; returns it, or null when there is no such client. Revoking twice keeps the first time.</summary>
    public async Task<OAuthClient?> RevokeAsync(string clientId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using (var connection = await OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE clients SET revoked_at = @now WHERE client_id = @clientId AND revoked_at IS NULL",
                new { clientId, now = Format(now) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        return (await FindAsync(clientId, cancellationToken).ConfigureAwait(false))?.Client;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Truncate(DateTimeOffset time) => Parse(Format(time));

    private static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

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
