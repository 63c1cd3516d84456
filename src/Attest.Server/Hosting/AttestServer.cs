using System.Security.Cryptography;
using Attest.Core.Transparency;
using Attest.Ledger;
using Attest.Ledger.Database;
using Attest.Policy;
using Attest.Server.Admission;
using Attest.Server.Api;
using Attest.Server.Audit;
using Attest.Server.Auth;
using Attest.Server.Checks;
using Attest.Server.Evaluation;
using Attest.Server.Health;
using Attest.Server.Keyless;
using Attest.Server.Secrets;
using Attest.Server.Signing;
using Attest.Server.SumDb;
using Attest.Server.Telemetry;
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

    /// <summary>
    /// Builds the host with everything it serves already open: options bound and validated (every problem at once),
    /// policies loaded, the secret store opened (PostgreSQL: every key lives there), the ledger key loaded or created,
    /// the ledger opened (and the policy set recorded in it), the client store, the managed keys and witnessing opened. They are registered as finished services, so nothing that serves a
    /// request ever sees them half-ready. Any failure is a <see cref="StartupException"/> naming the file or setting.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(string[] args, CancellationToken cancellationToken = default)
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

        FrameworkLogLevels.AddDefaults(builder.Configuration);
        builder.Logging.ClearProviders();
        ConfigureLogging(builder.Logging);

        UnknownSettings.Check(builder.Configuration);
        var options = builder.Services.AddValidatedOptions<AttestServerOptions>(builder.Configuration, AttestServerOptions.Section, o => o.Validate());
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        var telemetry = builder.AddAttestTelemetry();
        builder.Services.AddAdmission(builder.Configuration);
        builder.Services.AddHostedService<PolicyReloader>();
        var integrity = new LedgerIntegrity();
        builder.Services.AddSingleton(integrity);
        builder.Services.AddHostedService<LedgerAuditService>();
        builder.Services.AddSingleton(new Checks.UploadSpace(options.Checks.UploadSpaceBytes));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHealthChecks()
            .AddCheck<LedgerReadinessCheck>("ledger", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<SumDbReadinessCheck>("sumdb", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<PolicyReadinessCheck>("policies", tags: [HealthEndpoints.ReadyTag]);
        var auth = builder.Services.AddAttestAuth(builder.Configuration);
        var signing = builder.Services.AddAttestSigning(builder.Configuration, options.Ledger.Origin);
        builder.Services.AddAttestKeyless(builder.Configuration);
        builder.Services.AddAttestSumDb(builder.Configuration);
        var witnessing = builder.Services.AddAttestWitnessing(builder.Configuration);
        builder.Services.AddServerSecrets();
        builder.Services.AddProblemDetails();
        builder.Services.AddStatusProblems();
        builder.Services.AddExceptionHandler<Api.LedgerExceptionHandler>();
        builder.Services.AddOpenApi(o => o.AddAttestSecurity());
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default));

        // Start-up work, before the host exists: each result is registered finished (a factory, so the container
        // disposes it), and whatever was opened is closed again if a later step fails.
        using var loggers = LoggerFactory.Create(logging =>
        {
            logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
            ConfigureLogging(logging);
        });
        var logger = loggers.CreateLogger("Attest.Server.Startup");
        var time = TimeProvider.System;
        var opened = new Stack<object>();
        try
        {
            // Policies are read first so that a broken policy directory is reported before anything is created; they
            // are read again once the server's own trust root exists. Until then trustedRoot: attest stands for a
            // placeholder, so that its authorities are declared and what refers to them is checked too.
            LoadPolicies(options.PolicyDirectory, OwnRootPlaceholder, time);
            var policies = new PolicyState();
            builder.Services.AddSingleton(policies);

            CreateDataDirectory(dataDirectory, logger);
            var directoryLock = DataDirectoryLock.Acquire(dataDirectory, time);
            opened.Push(directoryLock);
            builder.Services.AddSingleton(directoryLock);
            // The ledger's database, for the tables beside the ledger: keys (PostgreSQL), witness cosignatures and state.
            var database = OpenLedgerDatabase(options, dataDirectory);
            opened.Push(database);
            builder.Services.AddSingleton(_ => database);
            // With the PostgreSQL ledger every key lives in its database (encrypted with Attest:Signing:KeyPassword).
            var secrets = await ServerSecretsSetup.OpenAsync(options, database, signing.KeyPassword, time, cancellationToken).ConfigureAwait(false);
            builder.Services.AddSingleton(secrets);

            var keys = await LoadServiceKeysAsync(options, dataDirectory, secrets.Store, logger, cancellationToken).ConfigureAwait(false);
            opened.Push(keys);
            builder.Services.AddSingleton(_ => keys);

            var ledger = await OpenLedgerAsync(options, dataDirectory, keys, integrity, time, logger, cancellationToken).ConfigureAwait(false);
            opened.Push(ledger);
            builder.Services.AddSingleton(_ => ledger);
            builder.Services.AddHostedService<LedgerCheckpointOnStop>();

            var clients = await AuthSetup.OpenClientsAsync(ledger, auth, dataDirectory, options.Ledger.IsPostgres ? options.Ledger.ConnectionString : null,
                secrets.Store, time, logger, cancellationToken).ConfigureAwait(false);
            builder.Services.AddSingleton(_ => clients);
            await AdministratorRecovery.RecoverAsync(clients, auth, logger, cancellationToken).ConfigureAwait(false);
            var oauthKey = await OAuthSigningKey.LoadOrCreateAsync(dataDirectory, secrets.Store, cancellationToken).ConfigureAwait(false);
            opened.Push(oauthKey);
            builder.Services.AddAttestOAuthServer(auth, oauthKey, OAuthServer.IssuerFor(auth, builder.Configuration[$"{Identity.KeylessOptions.Section}:PublicUrl"]));
            await SigningSetup.OpenSigningAsync(builder.Services, ledger, keys, signing, options.Ledger.Origin, dataDirectory, secrets, time, logger, cancellationToken).ConfigureAwait(false);
            var witnessingState = await WitnessingSetup.OpenWitnessingAsync(witnessing, ledger, database, secrets, dataDirectory, time, logger, cancellationToken).ConfigureAwait(false);
            opened.Push(witnessingState);
            builder.Services.AddSingleton(_ => witnessingState);

            var app = builder.Build();
            await KeylessSetup.InitializeAsync(app, dataDirectory, secrets, cancellationToken).ConfigureAwait(false);
            app.Services.GetRequiredService<JwtBearerGrant>().CheckRules();
            app.Services.WarmUpOAuthServer();
            await SumDbSetup.InitializeSumDbAsync(app, dataDirectory, secrets, logger, cancellationToken).ConfigureAwait(false);
            var set = LoadPolicies(options.PolicyDirectory, app.Services.GetRequiredService<AttestTrustedRoot>().NamedForPolicies(),
                app.Services.GetRequiredService<TimeProvider>())!;
            policies.Publish(set);
            StartupLog.PoliciesLoaded(logger, set.Documents.Count, set.Directory, set.Revision);
            StartupLog.WarnAbout(logger, set);
            await RecordAsync(ledger, PolicyLoadedEntry(set), options, cancellationToken).ConfigureAwait(false);

            app.UseExceptionHandler();
            app.UseStatusProblems();
            app.UseAttestTelemetry(telemetry);
            app.UseAttestAuth();
            app.MapHealthEndpoints();
            app.MapAdmissionEndpoints();
            app.MapSigningEndpoints();
            app.MapKeylessEndpoints();
            app.MapImageEvaluationEndpoints();
            app.MapAuditEndpoints().RequireAuthorization(Scopes.Audit).RequireRateLimiting(AuthSetup.ApiRateLimit);
            app.MapCheckEndpoints();
            app.MapSumDbEndpoints();
            app.MapModulePublishEndpoints();
            app.MapWitnessEndpoints();
            app.MapOpenApi("/openapi/{documentName}.json");
            return app;
        }
        catch
        {
            while (opened.TryPop(out var resource))
            {
                if (resource is IAsyncDisposable asynchronous) await asynchronous.DisposeAsync().ConfigureAwait(false);
                else if (resource is IDisposable disposable) disposable.Dispose();
            }
            throw;
        }
    }

    /// <summary>One JSON object per line on the console, UTC timestamps (the host's and the start-up work's), with the
    /// trace and span ids of the request a line belongs to and its scopes (the admission uid).</summary>
    private static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        // The host's "Request starting"/"Request finished" lines carry the full URL, query string included: a credential
        // a client put there would be logged verbatim. OpenIddict's lines below Warning quote whole requests and
        // responses: access tokens and introspection answers. Both are held at Warning, configuration notwithstanding.
        logging.Services.AddSingleton<Microsoft.Extensions.Options.IPostConfigureOptions<LoggerFilterOptions>, SecretBearingLogCategories>();
        logging.AddJsonConsole(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.IncludeScopes = true;
        });
    }

    private static void CreateDataDirectory(string dataDirectory, ILogger logger)
    {
        try
        {
            DataDirectory.CreateOwnerOnly(dataDirectory, logger);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"data directory {dataDirectory} cannot be created: {e.Message}", e);
        }
    }

    /// <summary>The ledger key (checkpoints, signed entry timestamps), loaded or created on the first start: a file, or
    /// with the PostgreSQL ledger (and no configured path) the one key in its database that every replica shares.</summary>
    private static async Task<ServiceKeys> LoadServiceKeysAsync(AttestServerOptions options, string dataDirectory, SecretStore? secrets, ILogger logger,
        CancellationToken cancellationToken)
    {
        var keyPath = Path.GetFullPath(options.SigningKey.Path ?? Path.Combine(dataDirectory, "keys", "signing-key.pem"));
        var shared = options.SigningKey.Path is null ? secrets : null;
        var keyName = shared is not null ? $"the ledger key in {shared.Location}" : keyPath;
        try
        {
            var (key, created) = shared is not null
                ? await SharedEcdsaKey.LoadOrCreateAsync(shared, ServerSecrets.Kinds.LedgerKey, keyPath, cancellationToken).ConfigureAwait(false)
                : SigningKeyStore.LoadOrCreate(keyPath);
            if (created) StartupLog.SigningKeyCreated(logger, keyName, SigningKeyStore.KeyId(key));
            else StartupLog.SigningKeyLoaded(logger, keyName, SigningKeyStore.KeyId(key));
            return new ServiceKeys(key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or SecretStoreException or Npgsql.NpgsqlException)
        {
            throw new StartupException($"signing key {keyName} cannot be loaded or created: {e.Message}", e);
        }
    }

    private static SqlDatabase OpenLedgerDatabase(AttestServerOptions options, string dataDirectory)
    {
        var ledgerPath = Path.GetFullPath(options.Ledger.Path ?? Path.Combine(dataDirectory, "ledger.db"));
        try
        {
            return options.Ledger.IsPostgres ? SqlDatabase.Postgres(options.Ledger.ConnectionString!) : SqlDatabase.Sqlite(ledgerPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new StartupException($"ledger {(options.Ledger.IsPostgres ? "the PostgreSQL ledger" : ledgerPath)} cannot be opened: {e.Message}", e);
        }
    }

    private static async Task<AuditLedger> OpenLedgerAsync(AttestServerOptions options, string dataDirectory, ServiceKeys keys, LedgerIntegrity integrity, TimeProvider time, ILogger logger,
        CancellationToken cancellationToken)
    {
        var ledgerPath = options.Ledger.Path ?? Path.Combine(dataDirectory, "ledger.db");
        var ledgerName = options.Ledger.IsPostgres ? "the PostgreSQL ledger" : Path.GetFullPath(ledgerPath);
        ILedgerStore? store = null;
        try
        {
            store = options.Ledger.IsPostgres
                ? await PostgresLedgerStore.OpenAsync(options.Ledger.ConnectionString!, cancellationToken).ConfigureAwait(false)
                : await SqliteLedgerStore.OpenAsync(ledgerPath, cancellationToken).ConfigureAwait(false);
            if (store is SqliteLedgerStore sqlite) sqlite.WalCheckpointFailed = e => StartupLog.WalCheckpointFailed(logger, sqlite.Location, e.Message);
            // Checkpoints are signed with the service key, so auditors verify the ledger with the key in the trusted root. The
            // highest checkpoint signed is also kept beside the keys, where database access alone cannot roll it back.
            var ledger = await AuditLedger.OpenAsync(store, new AuditLedgerOptions
                {
                    Origin = options.Ledger.Origin,
                    MaxPendingAppends = options.Ledger.MaxPendingAppends,
                    HighWaterMark = new CheckpointHighWaterMark(Path.Combine(dataDirectory, "keys", "ledger-checkpoint.note")),
                },
                [new EcdsaNoteSigner(options.Ledger.Origin, keys.SigningKey)], time, cancellationToken).ConfigureAwait(false);
            try
            {
                await VerifyLedgerTailAsync(ledger, ledgerName, integrity, time, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await ledger.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            StartupLog.LedgerOpened(logger, store.Location, await store.GetSizeAsync(cancellationToken).ConfigureAwait(false),
                ledger.Origin, string.Join(" ", ledger.VerifierKeys));
            return ledger;
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or IOException or UnauthorizedAccessException
                                       or LedgerCorruptException or LedgerConflictException or ArgumentException)
        {
            if (store is not null) await store.DisposeAsync().ConfigureAwait(false);
            throw new StartupException($"ledger {ledgerName} cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>Replays what was appended since the checkpoint the ledger verified before (its high-water mark): a log
    /// altered there stops the start, and nothing is signed over it. The rest is the background audit's.</summary>
    private static async Task VerifyLedgerTailAsync(AuditLedger ledger, string ledgerName, LedgerIntegrity integrity, TimeProvider time, CancellationToken cancellationToken)
    {
        var report = ledger.OpenedFrom is { } from
            ? await LedgerAuditor.AuditTailAsync(ledger.Store, ledger.Trust, from, cancellationToken).ConfigureAwait(false)
            : await LedgerAuditor.AuditAsync(ledger.Store, ledger.Trust, cancellationToken).ConfigureAwait(false);
        // Entries no checkpoint covers yet are what a crash before the first checkpoint leaves: the ledger signs them now.
        if (LedgerIntegrity.Describe(report, LedgerCodes.CheckpointNone) is not { } problem) return;
        ledger.StopSigning(problem);
        integrity.Record(report, time.GetUtcNow(), full: false);
        throw new StartupException($"ledger {ledgerName}: {problem}; run attest ledger verify");
    }

    private static async Task RecordAsync(AuditLedger ledger, LedgerEntry entry, AttestServerOptions options, CancellationToken cancellationToken)
    {
        try
        {
            await ledger.AppendAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or IOException or LedgerConflictException)
        {
            throw new StartupException($"ledger {(options.Ledger.IsPostgres ? "(PostgreSQL)" : options.Ledger.Path ?? "ledger.db")} cannot record the policy set: {e.Message}", e);
        }
    }

    private const int MaxListedPolicyFiles = 200;

    /// <summary>The ledger entry recording which policy set came into force.</summary>
    internal static LedgerEntry PolicyLoadedEntry(PolicySet policies)
    {
        var details = new System.Text.Json.Nodes.JsonObject
        {
            ["revision"] = policies.Revision,
            ["directory"] = policies.Directory,
            ["documents"] = new System.Text.Json.Nodes.JsonArray(policies.Documents.Select(d => (System.Text.Json.Nodes.JsonNode)$"{d.Kind}/{d.Name}").ToArray()),
            // Every file the revision covers, trust material first: which key was in force is on the record (a
            // directory of hundreds of policy files is listed in part, to stay within one ledger entry).
            ["fileCount"] = policies.Files.Count,
            ["files"] = new System.Text.Json.Nodes.JsonArray(policies.Files.OrderBy(f => f.Role == "policy").Take(MaxListedPolicyFiles).Select(f => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
            {
                ["path"] = f.Path,
                ["role"] = f.Role,
                ["digest"] = f.Digest,
            }).ToArray()),
        };
        return new LedgerEntry { Kind = LedgerEntryKinds.PolicyLoaded, Details = LedgerEntry.DetailsFrom(details) };
    }

    /// <summary>The early read's stand-in for the server's own root (its set is discarded).</summary>
    private static readonly IReadOnlyDictionary<string, Sigstore.TrustRoot.TrustedRoot> OwnRootPlaceholder =
        new Dictionary<string, Sigstore.TrustRoot.TrustedRoot>(StringComparer.Ordinal) { [Policy.ImagePolicyParser.AttestTrustedRoot] = Sigstore.TrustRoot.TrustedRoot.PublicGood };

    private static PolicySet? LoadPolicies(string directory, IReadOnlyDictionary<string, Sigstore.TrustRoot.TrustedRoot> namedTrustedRoots, TimeProvider time)
    {
        try
        {
            var (set, errors) = PolicyDirectoryLoader.Load(directory, namedTrustedRoots, time);
            if (set is null && errors.Count > 0)
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

/// <summary>A graceful stop signs a checkpoint over everything recorded, so no entry waits for the next start. Runs
/// after the web server has stopped taking requests (hosted services stop in reverse order); the container then
/// disposes the ledger.</summary>
internal sealed class LedgerCheckpointOnStop(AuditLedger ledger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A ledger an audit found altered signs nothing more; the next start finds the same problem and says so.
        if (ledger.Quarantine is not null) return;
        try
        {
            await ledger.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (LedgerCorruptException)
        {
        }
    }
}

/// <summary>The service's keys, loaded at start-up and kept for the process lifetime (never logged).</summary>
public sealed class ServiceKeys(ECDsa signingKey) : IDisposable
{
    /// <summary>The ledger key: signs checkpoints and signed entry timestamps.</summary>
    public ECDsa SigningKey => signingKey;

    /// <summary>The ledger's log ID as Sigstore verifiers know it: SHA-256 of the ledger key's SubjectPublicKeyInfo
    /// (computed once: every signature's SET and bundle names it).</summary>
    public byte[] LogId { get; } = SHA256.HashData(signingKey.ExportSubjectPublicKeyInfo());

    public void Dispose() => signingKey.Dispose();
}

internal static partial class StartupLog
{
    [LoggerMessage(EventId = LogEvents.PoliciesLoaded, Level = LogLevel.Information, Message = "Loaded {Count} policy documents from {Directory} (revision {Revision})")]
    public static partial void PoliciesLoaded(ILogger logger, int count, string directory, string revision);

    [LoggerMessage(EventId = LogEvents.PolicyWarnings, Level = LogLevel.Warning, Message = "Policies of revision {Revision} load with {Count} warnings: {Warnings}")]
    private static partial void PolicyWarnings(ILogger logger, string revision, int count, string warnings);

    /// <summary>What a loaded set only warns about (an expired exception or allowance: it has no effect), at every (re)load.</summary>
    public static void WarnAbout(ILogger logger, PolicySet set)
    {
        if (set.Warnings.Count > 0) PolicyWarnings(logger, set.Revision, set.Warnings.Count, string.Join("; ", set.Warnings.Take(10)));
    }

    [LoggerMessage(EventId = LogEvents.LedgerOpened, Level = LogLevel.Information, Message = "Opened ledger {Location} with {Size} entries; origin {Origin}, checkpoints verify with {VerifierKey}")]
    public static partial void LedgerOpened(ILogger logger, string location, long size, string origin, string verifierKey);

    [LoggerMessage(EventId = LogEvents.SigningKeyCreated, Level = LogLevel.Warning, Message = "Generated a development signing key at {Path} ({KeyId}); configure a managed key for production")]
    public static partial void SigningKeyCreated(ILogger logger, string path, string keyId);

    [LoggerMessage(EventId = LogEvents.WalCheckpointFailed, Level = LogLevel.Warning, Message = "Background WAL checkpoint of ledger {Location} failed: {Reason}; entries stay durable, the next commit retries")]
    public static partial void WalCheckpointFailed(ILogger logger, string location, string reason);

    [LoggerMessage(EventId = LogEvents.SigningKeyLoaded, Level = LogLevel.Information, Message = "Loaded signing key {Path} ({KeyId})")]
    public static partial void SigningKeyLoaded(ILogger logger, string path, string keyId);
}
