using System.Security.Cryptography;
using System.Text;
using Attest.Ledger.Database;
using Attest.Server.Hosting;

namespace Attest.Server.Secrets;

/// <summary>Opens the secret store when the ledger is PostgreSQL (before any key is loaded), and the helper that
/// creates a key exactly once across replicas.</summary>
public static class ServerSecretsSetup
{
    /// <summary>The watcher that reloads keys another replica added (idle on SQLite).</summary>
    public static IServiceCollection AddServerSecrets(this IServiceCollection services)
    {
        services.AddHostedService<SecretWatcher>();
        return services;
    }

    /// <summary>With the PostgreSQL ledger: the store in its database, opened with <c>Attest:Signing:KeyPassword</c>
    /// (required: replicas must share it, so none may generate its own). On SQLite: <see cref="ServerSecrets.None"/>.</summary>
    public static async Task<ServerSecrets> OpenAsync(AttestServerOptions options, SqlDatabase database, string? keyPassword, TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Ledger.IsPostgres) return ServerSecrets.None;
        if (string.IsNullOrEmpty(keyPassword))
            throw new StartupException("Attest:Signing:KeyPassword is required with the postgresql ledger: it encrypts the keys every replica shares " +
                                       "in the database (set ATTEST_Attest__Signing__KeyPassword from one Secret on every replica)");
        try
        {
            var store = await SecretStore.OpenAsync(database, Encoding.UTF8.GetBytes(keyPassword), time, cancellationToken).ConfigureAwait(false);
            return new ServerSecrets(store, await store.GetVersionAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Npgsql.NpgsqlException e)
        {
            throw new StartupException($"the PostgreSQL ledger cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>The one secret of <paramref name="kind"/>: the stored one, or (first start of the first replica) the
    /// one <paramref name="create"/> makes. Replicas racing here all end with the same secret.</summary>
    public static async Task<(byte[] Value, bool Created)> GetOrCreateAsync(SecretStore store, string kind, Func<byte[]> create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(create);
        if (await store.ListAsync(kind, cancellationToken).ConfigureAwait(false) is [var existing, ..]) return (existing.Value, false);
        var value = create();
        var created = await store.TryAddFirstAsync(kind, store.NewName(), value, cancellationToken).ConfigureAwait(false);
        if (created) return (value, true);
        CryptographicOperations.ZeroMemory(value);
        return ((await store.ListAsync(kind, cancellationToken).ConfigureAwait(false))[^1].Value, false);
    }

    /// <summary>The one text secret of <paramref name="kind"/>, taken over from <paramref name="legacyFile"/> (owner-only,
    /// as the file's reader requires) when that file exists and the database has none yet, else made by
    /// <paramref name="create"/>: an upgrade from key files keeps its keys.</summary>
    public static async Task<(string Text, bool Created)> GetOrImportAsync(SecretStore store, string kind, string legacyFile, string what, Func<string> create,
        CancellationToken cancellationToken)
    {
        var (value, created) = await GetOrCreateAsync(store, kind, () => Encoding.UTF8.GetBytes(File.Exists(legacyFile)
            ? SigningKeyStore.ReadOwnerOnly(Path.GetFullPath(legacyFile), what)
            : create()), cancellationToken).ConfigureAwait(false);
        return (Encoding.UTF8.GetString(value), created);
    }
}
