using System.Security.Cryptography;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Ledger;
using Attest.Ledger.Witnessing;
using Attest.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Attest.Server.Witnessing;

/// <summary>What start-up opened for witnessing: this ledger's witnesses and their cosignatures, and (in witness
/// mode) this server's own witness.</summary>
public sealed class WitnessingState
{
    /// <summary>Cosignatures of this ledger's checkpoints (null until start-up opened the database).</summary>
    public CosignatureStore? Cosignatures { get; set; }

    /// <summary>The client side (null when no witnesses are configured).</summary>
    public CheckpointWitnessing? Witnessing { get; set; }

    /// <summary>The configured witnesses and how many must cosign a published checkpoint.</summary>
    public CosignatureQuorum Quorum { get; set; } = CosignatureQuorum.None;

    /// <summary>This server as a witness (null unless <c>Attest:Witness:Enabled</c>).</summary>
    public Witness? Witness { get; set; }
}

/// <summary>Registers witnessing (both sides) and opens it at start-up.</summary>
public static class WitnessingSetup
{
    public const string RateLimit = "witness-per-address";

    public static IServiceCollection AddAttestWitnessing(this IServiceCollection services, IConfiguration configuration)
    {
        var witnessing = new WitnessingOptions();
        var witness = new WitnessOptions();
        try
        {
            configuration.GetSection(WitnessingOptions.Section).Bind(witnessing);
            configuration.GetSection(WitnessOptions.Section).Bind(witness);
        }
        catch (InvalidOperationException e)
        {
            throw new StartupException($"configuration section {WitnessingOptions.Section} or {WitnessOptions.Section} is invalid: {e.Message}", e);
        }
        var errors = witnessing.Resolve().Errors.Concat(witness.Resolve().Errors).ToList();
        if (errors.Count > 0) throw new StartupException(string.Join("; ", errors));
        services.AddSingleton(Options.Create(witnessing));
        services.AddSingleton(Options.Create(witness));
        services.AddSingleton<WitnessingState>();
        services.AddSingleton<PublishedCheckpoints>();
        services.AddHostedService<WitnessingService>();
        services.Configure<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>(o => o.AddPolicy(RateLimit, context =>
            System.Threading.RateLimiting.RateLimitPartition.GetTokenBucketLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new System.Threading.RateLimiting.TokenBucketRateLimiterOptions
                {
                    // A log asks once per checkpoint per replica; a burst covers a few replicas catching up.
                    TokenLimit = 50, TokensPerPeriod = 20, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true,
                })));
        return services;
    }

    /// <summary>Opens the cosignature table beside the ledger, the witnesses' client and, in witness mode, the
    /// witness's key and state. Failures are <see cref="StartupException"/>s naming the setting or file.</summary>
    public static async Task InitializeAsync(WebApplication app, string dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        var serverOptions = app.Services.GetRequiredService<IOptions<AttestServerOptions>>().Value;
        var witnessing = app.Services.GetRequiredService<IOptions<WitnessingOptions>>().Value;
        var witness = app.Services.GetRequiredService<IOptions<WitnessOptions>>().Value;
        var state = app.Services.GetRequiredService<WitnessingState>();
        var ledger = app.Services.GetRequiredService<LedgerHolder>().Ledger!;
        var database = app.Services.GetRequiredService<LedgerDatabase>().Open(serverOptions, dataDirectory);
        try
        {
            state.Cosignatures = await CosignatureStore.OpenAsync(database, cancellationToken).ConfigureAwait(false);
            var (endpoints, _) = witnessing.Resolve();
            state.Quorum = new CosignatureQuorum([.. endpoints.Select(e => e.Key)], witnessing.RequiredCount);
            if (endpoints.Count > 0)
            {
                // Witness URLs come from the operator's configuration; a witness's redirect is not followed.
                var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
                {
                    Timeout = TimeSpan.FromSeconds(witnessing.TimeoutSeconds),
                };
                state.Witnessing = new CheckpointWitnessing(ledger.Store, state.Cosignatures, endpoints, http);
                WitnessingLog.WitnessesConfigured(logger, endpoints.Count, witnessing.RequiredCount, string.Join(", ", endpoints.Select(e => e.Name)));
            }
            if (witness.Enabled)
            {
                var (logs, _) = witness.Resolve();
                var name = witness.Name ?? $"{ledger.Origin}/witness";
                var time = app.Services.GetRequiredService<TimeProvider>();
                Ed25519CosignatureSigner signer;
                if (app.Services.GetRequiredService<Secrets.ServerSecrets>().Store is { } secrets && witness.KeyPath is null)
                {
                    // Replicas of a shared ledger share the witness key (and its state, in the same database).
                    var (skey, _) = await Secrets.ServerSecretsSetup.GetOrCreateAsync(secrets, Secrets.ServerSecrets.Kinds.WitnessKey,
                        () => System.Text.Encoding.UTF8.GetBytes(new Ed25519NoteSigner(name, Ed25519.GenerateSeed()).ToPrivateKeyString()), cancellationToken).ConfigureAwait(false);
                    signer = Ed25519CosignatureSigner.FromPrivateKeyString(System.Text.Encoding.UTF8.GetString(skey), time);
                    if (signer.Name != name)
                        throw new StartupException($"the witness key in {secrets.Location} is named '{signer.Name}', but {WitnessOptions.Section}:Name is '{name}'");
                }
                else signer = LoadOrCreateKey(Path.GetFullPath(witness.KeyPath ?? Path.Combine(dataDirectory, "keys", "witness.key")), name, time);
                state.Witness = new Witness(signer, logs, await WitnessStateStore.OpenAsync(database, cancellationToken).ConfigureAwait(false));
                WitnessingLog.WitnessEnabled(logger, signer.VerifierKey.ToString(), string.Join(", ", logs.Select(l => l.Origin)));
            }
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or IOException or UnauthorizedAccessException
                                       or FormatException or CryptographicException or Secrets.SecretStoreException)
        {
            throw new StartupException($"witnessing cannot start: {e.Message}", e);
        }
    }

    /// <summary>The witness key file (Go signer-key form, owner-only); created on first start. A key whose name differs
    /// from the configured one is refused: the name is part of every cosignature's key id.</summary>
    private static Ed25519CosignatureSigner LoadOrCreateKey(string path, string name, TimeProvider time)
    {
        if (!File.Exists(path))
        {
            var directory = Path.GetDirectoryName(path)!;
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
            else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using var writer = new StreamWriter(new FileStream(path, options));
            writer.WriteLine(new Ed25519NoteSigner(name, Ed25519.GenerateSeed()).ToPrivateKeyString());
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
            throw new StartupException($"witness key {path} is accessible by group or others; run: chmod 600 {path}");
        if (new FileInfo(path).Length > 4096) throw new StartupException($"witness key {path} is too large to be a key");
        var signer = Ed25519CosignatureSigner.FromPrivateKeyString(File.ReadAllText(path).Trim(), time);
        if (signer.Name != name)
            throw new StartupException($"witness key {path} is named '{signer.Name}', but {WitnessOptions.Section}:Name is '{name}'");
        return signer;
    }
}

internal static partial class WitnessingLog
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Checkpoints are sent to {Count} witnesses; {Required} cosignatures publish a checkpoint as witnessed: {Witnesses}")]
    public static partial void WitnessesConfigured(ILogger logger, int count, int required, string witnesses);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Witness enabled; cosignatures verify with {VerifierKey}; logs witnessed: {Logs}")]
    public static partial void WitnessEnabled(ILogger logger, string verifierKey, string logs);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "Witness {Witness} refused checkpoint {Size}: {Reason}")]
    public static partial void WitnessRefused(ILogger logger, string witness, long size, string? reason);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "Witness {Witness} did not answer for checkpoint {Size}: {Reason}")]
    public static partial void WitnessUnreachable(ILogger logger, string witness, long size, string? reason);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "Refused to cosign a checkpoint: {Reason}")]
    public static partial void CosignRefused(ILogger logger, string reason);
}
