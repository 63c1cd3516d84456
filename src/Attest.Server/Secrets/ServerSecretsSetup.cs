using System.Security.Cryptography;
using System.Text;
using Attest.Server.Hosting;
using Attest.Server.Signing;
using Microsoft.Extensions.Options;

namespace Attest.Server.Secrets;

/// <summary>Opens the secret store when the ledger is PostgreSQL (before any key is loaded), and the helpers that
/// create a key exactly once across replicas.</summary>
public static class ServerSecretsSetup
{
    public static IServiceCollection AddServerSecrets(this IServiceCollection services)
    {
        services.AddSingleton<LedgerDatabase>();
        services.AddSingleton<ServerSecrets>();
        services.AddSingleton<SecretWatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<SecretWatcher>());
        return services;
    }

    /// <summary>With the PostgreSQL ledger: the store in its database, opened with <c>Attest:Signing:KeyPassword</c>
    /// (required: replicas must share it, so none may generate its own).</summary>
    public static async Task OpenAsync(WebApplication app, AttestServerOptions options, string dataDirectory, CancellationToken cancellationToken)
    {
        if (!options.Ledger.IsPostgres) return;
        var password = app.Services.GetRequiredService<IOptions<SigningOptions>>().Value.KeyPassword;
        if (string.IsNullOrEmpty(password))
            throw new StartupException("Attest:Signing:KeyPassword is required with the postgresql ledger: it encrypts the keys every replica shares " +
                                       "in the database (set ATTEST_Attest__Signing__KeyPassword from one Secret on every replica)");
        var database = app.Services.GetRequiredService<LedgerDatabase>().Open(options, dataDirectory);
        var secrets = app.Services.GetRequiredService<ServerSecrets>();
        try
        {
            secrets.Store = await SecretStore.OpenAsync(database, Encoding.UTF8.GetBytes(password), app.Services.GetRequiredService<TimeProvider>(), cancellationToken).ConfigureAwait(false);
            secrets.LoadedVersion = await secrets.Store.GetVersionAsync(cancellationToken).ConfigureAwait(false);
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
}
