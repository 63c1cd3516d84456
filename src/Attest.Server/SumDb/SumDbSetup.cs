using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.GoModules.SumDb;
using Attest.Ledger;
using Attest.Ledger.SumDb;
using Attest.Oci;
using Attest.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Attest.Server.SumDb;

/// <summary>Wires the checksum database: options (validated before the server listens), its key, its log in the
/// ledger's database, and the upstream module proxy under the registry egress rules.</summary>
public static class SumDbSetup
{
    /// <summary>Time allowed to one upstream module fetch (headers and body).</summary>
    public static readonly TimeSpan UpstreamTimeout = TimeSpan.FromMinutes(2);

    public static IServiceCollection AddAttestSumDb(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new SumDbOptions();
        var section = configuration.GetSection(SumDbOptions.Section);
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new StartupException($"configuration section {SumDbOptions.Section} is invalid: {e.Message}", e);
        }
        options.Patterns = ConfigurationLists.Read(section, nameof(SumDbOptions.Patterns), options.Patterns, "pattern", "for a database that holds nothing");
        var errors = options.Validate();
        if (errors.Count > 0) throw new StartupException(string.Join("; ", errors));
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<SumDbHolder>();
        services.AddSingleton<SumDbService>();
        return services;
    }

    /// <summary>Loads (or creates) the database key, opens its log beside the ledger and the upstream client.</summary>
    public static async Task InitializeSumDbAsync(WebApplication app, string dataDirectory, Secrets.ServerSecrets secrets, ILogger logger, CancellationToken cancellationToken)
    {
        var options = app.Services.GetRequiredService<IOptions<SumDbOptions>>().Value;
        var server = app.Services.GetRequiredService<IOptions<AttestServerOptions>>().Value;
        var holder = app.Services.GetRequiredService<SumDbHolder>();
        var signer = await LoadOrCreateKeyAsync(Path.GetFullPath(options.KeyPath ?? Path.Combine(dataDirectory, "keys", "sumdb-key")),
            options.KeyPath is null ? secrets.Store : null, options.Name, cancellationToken).ConfigureAwait(false);

        var ledgerPath = Path.GetFullPath(server.Ledger.Path ?? Path.Combine(dataDirectory, "ledger.db"));
        try
        {
            ISumDbStore store = server.Ledger.IsPostgres
                ? await PostgresSumDbStore.OpenAsync(server.Ledger.ConnectionString!, cancellationToken).ConfigureAwait(false)
                : await SqliteSumDbStore.OpenAsync(ledgerPath, cancellationToken).ConfigureAwait(false);
            try
            {
                holder.Log = await SumDbLog.OpenAsync(store, signer, app.Services.GetRequiredService<TimeProvider>(), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await store.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            SumDbEvents.Opened(logger, options.Name, store.Location, await store.GetSizeAsync(cancellationToken).ConfigureAwait(false), signer.VerifierKey.ToString());
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or IOException or UnauthorizedAccessException
                                       or LedgerCorruptException or LedgerConflictException)
        {
            throw new StartupException($"checksum database {(server.Ledger.IsPostgres ? "in the PostgreSQL ledger" : ledgerPath)} cannot be opened: {e.Message}", e);
        }

        if (options.Upstream is { } upstream)
        {
            var egress = app.Services.GetRequiredService<RegistryClientOptions>();
            var url = new Uri(upstream.EndsWith('/') ? upstream : upstream + "/");
            if (CheckHop(egress, url) is { } refused) throw new StartupException($"{SumDbOptions.Section}:Upstream {upstream}: {refused}");
            var http = new HttpClient(EgressHttpHandler.Create(egress), disposeHandler: true) { Timeout = UpstreamTimeout };
            http.DefaultRequestHeaders.UserAgent.ParseAdd("attest-sumdb/0.1");
            holder.Upstream = new GoProxyClient(http, url, hop => CheckHop(egress, hop));
        }
    }

    /// <summary>The registry egress rules applied to one hop of an upstream fetch: the host must be allowed, and plain
    /// HTTP is for hosts listed as insecure only.</summary>
    internal static string? CheckHop(RegistryClientOptions egress, Uri url)
    {
        var host = url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";
        if (url.Scheme is not ("http" or "https")) return $"{url.Scheme} is not http or https";
        if (!egress.IsAllowed(host)) return $"{host} is not a host Attest may contact (Attest:Registries:Allowed)";
        if (url.Scheme == "http" && !egress.InsecureRegistries.Contains(host))
            return $"{host} is reached over plain HTTP only when listed in Attest:Registries:Insecure";
        return null;
    }

    /// <summary>The database's Ed25519 note key in Go's signer-key form: a file created owner-only on first start, or,
    /// with a shared (PostgreSQL) ledger and no configured path, one secret in its database that every replica uses. Its
    /// name is the database's: a key made for another name is refused rather than silently serving a second database.</summary>
    private static async Task<Ed25519NoteSigner> LoadOrCreateKeyAsync(string path, Secrets.SecretStore? shared, string name, CancellationToken cancellationToken)
    {
        var place = shared is null ? $"checksum database key {path}" : $"the checksum database key in {shared.Location}";
        try
        {
            var signer = Ed25519NoteSigner.FromPrivateKeyString(shared is null
                ? Secrets.SignerKeys.LoadOrCreateFile(path, name, "checksum database key")
                : await Secrets.SignerKeys.LoadOrCreateSharedAsync(shared, Secrets.ServerSecrets.Kinds.SumDbKey, path, name, "checksum database key", cancellationToken).ConfigureAwait(false));
            if (signer.Name != name)
                throw new StartupException($"{place} is for the database '{signer.Name}', but {SumDbOptions.Section}:Name is '{name}' " +
                                           "(the name is part of the key the go command trusts; use another KeyPath for another database)");
            return signer;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException or Npgsql.NpgsqlException or Secrets.SecretStoreException)
        {
            throw new StartupException($"{place} cannot be used: {e.Message}", e);
        }
    }
}
