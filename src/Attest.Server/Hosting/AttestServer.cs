using System.Security.Cryptography;
using Attest.Core.Transparency;
using Attest.Ledger;
using Attest.Policy;
using Attest.Server.Admission;
using Attest.Server.Audit;
using Attest.Server.Auth;
using Attest.Server.Checks;
using Attest.Server.Evaluation;
using Attest.Server.Health;
using Attest.Server.Secrets;
using Attest.Server.Signing;
using Attest.Server.Witnessing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Attest.Server.Hosting;

/// <summary>Builds and starts the host. Everything that can be wrong with the configuration or the environment
/// is found here, before the server accepts a request, and reported as a <see cref="StartupException"/>.</summary>
public static class AttestServer
{
    /// <summary>Loopback only unless configured otherwise: an admission webhook or signing API is never exposed by accident.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5380";

    public static WebApplication Build(string[] args)
    {
        WebApplicationBuilder builder;
        try
        {
            // Options are bound once at start-up, so appsettings*.json are not watched: the watcher would cover the
            // whole content root, the default data directory included, and wake on every ledger write. The command line
            // can still turn it on (a later --hostBuilder:reloadConfigOnChange=true wins).
            builder = WebApplication.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);
        }
        catch (InvalidDataException e)
        {
            // Malformed appsettings*.json: name the file and where the parser stopped.
            Exception innermost = e;
            for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException) innermost = inner;
            throw new StartupException($"{e.Message.TrimEnd('.')}: {innermost.Message}", e);
        }

        // ATTEST_-prefixed environment variables (ATTEST_Attest__DataDirectory) beside the usual ones; the
        // command line is added again so that it keeps the last word.
        builder.Configuration.AddEnvironmentVariables("ATTEST_");
        builder.Configuration.AddCommandLine(args);

        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]) &&
            !builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
            builder.WebHost.UseUrls(DefaultUrl);

        builder.Logging.ClearProviders();
        // Data protection warns that its token keys are stored unencrypted; they are in the owner-only keys directory.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.Logging.AddJsonConsole(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });

        var options = new AttestServerOptions();
        try
        {
            builder.Configuration.GetSection(AttestServerOptions.Section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new StartupException($"configuration section {AttestServerOptions.Section} is invalid: {e.Message}", e);
        }
        var errors = options.Validate();
        if (errors.Count > 0) throw new StartupException(string.Join("; ", errors));

        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddAdmission(builder.Configuration);
        builder.Services.AddSingleton<PolicyState>();
        builder.Services.AddHostedService<PolicyReloader>();
        builder.Services.AddSingleton<LedgerHolder>();
        builder.Services.AddSingleton(new Checks.UploadSpace(options.Checks.UploadSpaceBytes));
        builder.Services.AddSingleton<ServiceKeys>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHealthChecks()
            .AddCheck<LedgerReadinessCheck>("ledger", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<PolicyReadinessCheck>("policies", tags: [HealthEndpoints.ReadyTag]);
        builder.Services.AddAttestAuth(builder.Configuration, Path.GetFullPath(options.DataDirectory), keysInDatabase: options.Ledger.IsPostgres);
        builder.Services.AddAttestSigning(builder.Configuration, options.Ledger.Origin);
        builder.Services.AddAttestWitnessing(builder.Configuration);
        builder.Services.AddServerSecrets();
        builder.Services.AddOpenApi(o => o.AddAttestSecurity());
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default));

        var app = builder.Build();
        app.UseAttestAuth();
        app.MapHealthEndpoints();
        app.MapAdmissionEndpoints();
        app.MapSigningEndpoints();
        app.MapImageEvaluationEndpoints();
        app.MapAuditEndpoints().RequireAuthorization(Scopes.Audit).RequireRateLimiting(AuthSetup.ApiRateLimit);
        app.MapCheckEndpoints();
        app.MapWitnessEndpoints();
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }

    /// <summary>Loads policies, opens the ledger and loads (or creates) the signing key. Any failure is a
    /// <see cref="StartupException"/> naming the file or setting.</summary>
    public static async Task InitializeAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        var options = app.Services.GetRequiredService<IOptions<AttestServerOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Attest.Server.Startup");

        var policies = LoadPolicies(options.PolicyDirectory);
        app.Services.GetRequiredService<PolicyState>().Publish(policies);
        StartupLog.PoliciesLoaded(logger, policies.Documents.Count, policies.Directory, policies.Revision);

        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        try
        {
            Directory.CreateDirectory(dataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"data directory {dataDirectory} cannot be created: {e.Message}", e);
        }

        // With the PostgreSQL ledger every key lives in its database (encrypted with Attest:Signing:KeyPassword).
        await ServerSecretsSetup.OpenAsync(app, options, dataDirectory, cancellationToken).ConfigureAwait(false);
        var secrets = app.Services.GetRequiredService<ServerSecrets>().Store;
        var keyPath = options.SigningKey.Path ?? Path.Combine(dataDirectory, "keys", "signing-key.pem");
        var keyName = secrets is not null && options.SigningKey.Path is null ? $"the ledger key in {secrets.Location}" : Path.GetFullPath(keyPath);
        ECDsa key;
        try
        {
            bool created;
            if (secrets is not null && options.SigningKey.Path is null)
                (key, created) = await DatabaseLedgerKey.LoadOrCreateAsync(secrets, keyPath, cancellationToken).ConfigureAwait(false);
            else (key, created) = SigningKeyStore.LoadOrCreate(keyPath);
            if (created) StartupLog.SigningKeyCreated(logger, keyName, SigningKeyStore.KeyId(key));
            else StartupLog.SigningKeyLoaded(logger, keyName, SigningKeyStore.KeyId(key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or SecretStoreException or Npgsql.NpgsqlException)
        {
            throw new StartupException($"signing key {keyName} cannot be loaded or created: {e.Message}", e);
        }
        app.Services.GetRequiredService<ServiceKeys>().SigningKey = key;

        var ledgerPath = options.Ledger.Path ?? Path.Combine(dataDirectory, "ledger.db");
        var ledgerName = options.Ledger.IsPostgres ? "the PostgreSQL ledger" : Path.GetFullPath(ledgerPath);
        var holder = app.Services.GetRequiredService<LedgerHolder>();
        try
        {
            ILedgerStore store = options.Ledger.IsPostgres
                ? await PostgresLedgerStore.OpenAsync(options.Ledger.ConnectionString!, cancellationToken).ConfigureAwait(false)
                : await SqliteLedgerStore.OpenAsync(ledgerPath, cancellationToken).ConfigureAwait(false);
            if (store is SqliteLedgerStore sqlite) sqlite.WalCheckpointFailed = e => StartupLog.WalCheckpointFailed(logger, sqlite.Location, e.Message);
            // Checkpoints are signed with the service key, so auditors verify the ledger with the key in the trusted root.
            holder.Ledger = await AuditLedger.OpenAsync(store, new AuditLedgerOptions { Origin = options.Ledger.Origin },
                [new EcdsaNoteSigner(options.Ledger.Origin, key)], app.Services.GetRequiredService<TimeProvider>(), cancellationToken).ConfigureAwait(false);
            StartupLog.LedgerOpened(logger, store.Location, await store.GetSizeAsync(cancellationToken).ConfigureAwait(false),
                holder.Ledger.Origin, string.Join(" ", holder.Ledger.VerifierKeys));
            await holder.Ledger.AppendAsync(PolicyLoadedEntry(policies), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or IOException or UnauthorizedAccessException
                                       or LedgerCorruptException or LedgerConflictException or ArgumentException)
        {
            throw new StartupException($"ledger {ledgerName} cannot be opened: {e.Message}", e);
        }

        await AuthSetup.InitializeClientsAsync(app, dataDirectory, options.Ledger.IsPostgres ? options.Ledger.ConnectionString : null, logger, cancellationToken).ConfigureAwait(false);
        await SigningSetup.InitializeSigningAsync(app, dataDirectory, logger, cancellationToken).ConfigureAwait(false);
        await WitnessingSetup.InitializeAsync(app, dataDirectory, logger, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The ledger entry recording which policy set came into force.</summary>
    internal static LedgerEntry PolicyLoadedEntry(PolicySet policies)
    {
        var details = new System.Text.Json.Nodes.JsonObject
        {
            ["revision"] = policies.Revision,
            ["directory"] = policies.Directory,
            ["documents"] = new System.Text.Json.Nodes.JsonArray(policies.Documents.Select(d => (System.Text.Json.Nodes.JsonNode)$"{d.Kind}/{d.Name}").ToArray()),
        };
        return new LedgerEntry { Kind = LedgerEntryKinds.PolicyLoaded, Details = LedgerEntry.DetailsFrom(details) };
    }

    private static PolicySet LoadPolicies(string directory)
    {
        try
        {
            var (set, errors) = PolicyDirectoryLoader.Load(directory);
            if (set is null)
                throw new StartupException(
                    $"policies in {Path.GetFullPath(directory)} are invalid: {string.Join("; ", errors.Take(5))}" +
                    (errors.Count > 5 ? $" (and {errors.Count - 5} more)" : ""));
            return set;
        }
        catch (PolicyDirectoryException e)
        {
            throw new StartupException(e.Message, e);
        }
    }
}

/// <summary>Holds the ledger once start-up has opened it.</summary>
public sealed class LedgerHolder : IAsyncDisposable
{
    public AuditLedger? Ledger { get; set; }

    public ILedgerStore? Store => Ledger?.Store;

    public async ValueTask DisposeAsync()
    {
        if (Ledger is null) return;
        // A graceful stop signs a checkpoint over everything recorded, so no entry waits for the next start.
        try
        {
            await Ledger.CheckpointAsync().ConfigureAwait(false);
        }
        finally
        {
            await Ledger.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>The service's keys, loaded at start-up and kept for the process lifetime (never logged).</summary>
public sealed class ServiceKeys : IDisposable
{
    private ECDsa? _signingKey;

    /// <summary>The ledger key: signs checkpoints and signed entry timestamps.</summary>
    public ECDsa? SigningKey
    {
        get => _signingKey;
        set
        {
            _signingKey = value;
            LogId = value is null ? [] : SHA256.HashData(value.ExportSubjectPublicKeyInfo());
        }
    }

    /// <summary>The ledger's log ID as Sigstore verifiers know it: SHA-256 of the ledger key's SubjectPublicKeyInfo
    /// (computed once: every signature's SET and bundle names it).</summary>
    public byte[] LogId { get; private set; } = [];

    public void Dispose() => SigningKey?.Dispose();
}

internal static partial class StartupLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Loaded {Count} policy documents from {Directory} (revision {Revision})")]
    public static partial void PoliciesLoaded(ILogger logger, int count, string directory, string revision);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Opened ledger {Location} with {Size} entries; origin {Origin}, checkpoints verify with {VerifierKey}")]
    public static partial void LedgerOpened(ILogger logger, string location, long size, string origin, string verifierKey);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Generated a development signing key at {Path} ({KeyId}); configure a managed key for production")]
    public static partial void SigningKeyCreated(ILogger logger, string path, string keyId);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Background WAL checkpoint of ledger {Location} failed: {Reason}; entries stay durable, the next commit retries")]
    public static partial void WalCheckpointFailed(ILogger logger, string location, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Loaded signing key {Path} ({KeyId})")]
    public static partial void SigningKeyLoaded(ILogger logger, string path, string keyId);
}
