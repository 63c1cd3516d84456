using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Attest.Ledger.Database;
using Attest.Sigstore.Cosign;
using Dapper;

namespace Attest.Server.Secrets;

/// <summary>One secret as stored: its kind (what it is for), its name within the kind, when it was created, its bytes.</summary>
public sealed record StoredSecret(string Kind, string Name, DateTimeOffset CreatedAt, byte[] Value);

/// <summary>The key-encryption password does not open a secret in the database (another password, or a tampered row).</summary>
public sealed class SecretStoreException(string message) : Exception(message);

/// <summary>
/// Every key and secret the replicas of a shared (PostgreSQL) ledger need, in that database: one row per secret, its
/// value encrypted with the key-encryption password (<c>Attest:Signing:KeyPassword</c>) in cosign's format (scrypt,
/// then XSalsa20-Poly1305; the same format as managed key files), so the database alone (a dump, a replica, a
/// backup) opens none of them. Rows are only ever added, never changed or removed: a rotation adds the new key and
/// readers take the newest. Every add bumps one version number, which <see cref="SecretWatcher"/> polls so that every
/// replica sees an added key within seconds. Decrypted values are cached per row (scrypt is deliberately slow).
/// </summary>
/// <remarks>
/// Using it for a new kind of key (say, OpenIddict's signing and encryption credentials, or the CA, CT and TSA keys
/// of keyless signing): pick a kind name, create the key once with <see cref="TryAddFirstAsync"/> (all replicas race at
/// start-up; exactly one wins and the others read its key) or add rotations with <see cref="AddAsync"/>, read with
/// <see cref="ListAsync"/> (newest first), and subscribe to <see cref="SecretWatcher.Changed"/> to reload.
/// </remarks>
public sealed class SecretStore
{
    private const string SqliteSchema = """
        CREATE TABLE IF NOT EXISTS attest_secrets (
            kind       TEXT NOT NULL,
            name       TEXT NOT NULL,
            created_at TEXT NOT NULL,
            value      TEXT NOT NULL,
            PRIMARY KEY (kind, name)
        );
        CREATE TABLE IF NOT EXISTS attest_secrets_version (
            id      INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        );
        INSERT INTO attest_secrets_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
        CREATE TRIGGER IF NOT EXISTS attest_secrets_append_only BEFORE UPDATE ON attest_secrets
        BEGIN SELECT RAISE(ABORT, 'secrets are added, never changed'); END;
        CREATE TRIGGER IF NOT EXISTS attest_secrets_no_delete BEFORE DELETE ON attest_secrets
        BEGIN SELECT RAISE(ABORT, 'secrets are added, never removed'); END;
        """;

    private const string PostgresSchema = """
        CREATE TABLE IF NOT EXISTS attest_secrets (
            kind       text NOT NULL,
            name       text NOT NULL,
            created_at text NOT NULL,
            value      text NOT NULL,
            PRIMARY KEY (kind, name)
        );
        CREATE TABLE IF NOT EXISTS attest_secrets_version (
            id      int PRIMARY KEY CHECK (id = 1),
            version bigint NOT NULL
        );
        INSERT INTO attest_secrets_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
        CREATE OR REPLACE FUNCTION attest_secrets_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'secrets are added, never changed or removed' USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE OR REPLACE TRIGGER attest_secrets_append_only BEFORE UPDATE OR DELETE ON attest_secrets
            FOR EACH ROW EXECUTE FUNCTION attest_secrets_append_only();
        """;

    /// <summary>Serializes first-key creation per kind between replicas (PostgreSQL).</summary>
    private const long CreateLock = 0x4174_7465_7374_4b79; // "AttestKy"

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private readonly SqlDatabase _database;
    private readonly byte[] _password;
    private readonly TimeProvider _time;
    private readonly Dictionary<(string Kind, string Name), StoredSecret> _opened = [];
    private readonly Lock _lock = new();

    private SecretStore(SqlDatabase database, byte[] password, TimeProvider time)
    {
        _database = database;
        _password = password;
        _time = time;
    }

    public string Location => _database.Location;

    public static async Task<SecretStore> OpenAsync(SqlDatabase database, byte[] password, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(time);
        if (password.Length == 0) throw new ArgumentException("the key-encryption password is empty", nameof(password));
        await database.EnsureSchemaAsync(SqliteSchema, PostgresSchema, cancellationToken).ConfigureAwait(false);
        return new SecretStore(database, [.. password], time);
    }

    /// <summary>The number that changes whenever a secret is added (by any replica).</summary>
    public async Task<long> GetVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT version FROM attest_secrets_version WHERE id = 1",
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Adds a secret; false (nothing written) when one of that kind and name exists.</summary>
    public Task<bool> AddAsync(string kind, string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) =>
        InsertAsync(kind, name, value, onlyIfKindEmpty: false, cancellationToken);

    /// <summary>Adds the first secret of <paramref name="kind"/>; false (nothing written) when the kind already has one.
    /// Replicas starting together all call this; exactly one wins, and every one then reads the winner's.</summary>
    public Task<bool> TryAddFirstAsync(string kind, string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) =>
        InsertAsync(kind, name, value, onlyIfKindEmpty: true, cancellationToken);

    private async Task<bool> InsertAsync(string kind, string name, ReadOnlyMemory<byte> value, bool onlyIfKindEmpty, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(name);
        // Encrypted before the transaction: scrypt takes a while, and no lock needs to wait for it.
        var sealedValue = CosignKeyFile.Encrypt(value.Span, _password);
        var created = _time.GetUtcNow().UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (_database.IsPostgres)
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = CreateLock }, transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (onlyIfKindEmpty && await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM attest_secrets WHERE kind = @kind",
                new { kind }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO attest_secrets (kind, name, created_at, value) VALUES (@kind, @name, @created, @value) ON CONFLICT (kind, name) DO NOTHING",
            new { kind, name, created, value = sealedValue }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (inserted == 1)
            await connection.ExecuteAsync(new CommandDefinition("UPDATE attest_secrets_version SET version = version + 1 WHERE id = 1",
                transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (inserted == 1)
        {
            // What this replica wrote it need not decrypt again.
            var secret = new StoredSecret(kind, name, DateTimeOffset.ParseExact(created, TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal), value.ToArray());
            lock (_lock) _opened.TryAdd((kind, name), secret);
        }
        return inserted == 1;
    }

    /// <summary>Every secret of <paramref name="kind"/>, newest first, decrypted.</summary>
    public async Task<IReadOnlyList<StoredSecret>> ListAsync(string kind, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string Name, string CreatedAt, string Value)>(new CommandDefinition(
            "SELECT name AS Name, created_at AS CreatedAt, value AS Value FROM attest_secrets WHERE kind = @kind ORDER BY created_at DESC, name DESC",
            new { kind }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => Open(kind, r.Name, r.CreatedAt, r.Value))];
    }

    /// <summary>The secret of that kind and name, or null.</summary>
    public async Task<StoredSecret?> GetAsync(string kind, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<(string CreatedAt, string Value)?>(new CommandDefinition(
            "SELECT created_at AS CreatedAt, value AS Value FROM attest_secrets WHERE kind = @kind AND name = @name",
            new { kind, name }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is { } r ? Open(kind, name, r.CreatedAt, r.Value) : null;
    }

    private StoredSecret Open(string kind, string name, string createdAt, string sealedValue)
    {
        lock (_lock)
            if (_opened.TryGetValue((kind, name), out var cached)) return cached;
        if (!CosignKeyFile.TryDecrypt(sealedValue, _password, out var value, out var error))
            throw new SecretStoreException($"the {kind} secret '{name}' in {Location} cannot be opened with Attest:Signing:KeyPassword: {error}");
        var created = DateTimeOffset.ParseExact(createdAt, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        var secret = new StoredSecret(kind, name, created, value);
        lock (_lock) _opened[(kind, name)] = secret;
        return secret;
    }

    /// <summary>A name for a new secret: its creation time, sortable, and a random suffix.</summary>
    public string NewName() =>
        _time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
