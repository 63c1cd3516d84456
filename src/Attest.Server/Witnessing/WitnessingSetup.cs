using System.Security.Cryptography;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Ledger;
using Attest.Ledger.Database;
using Attest.Ledger.Witnessing;
using Attest.Server.Hosting;
using Attest.Server.Secrets;

namespace Attest.Server.Witnessing;

/// <summary>What start-up opened for witnessing: this ledger's witnesses and their cosignatures, and (in witness
/// mode) this server's own witness.</summary>
public sealed class WitnessingState(CosignatureStore cosignatures, CheckpointWitnessing? witnessing, CosignatureQuorum quorum, Witness? witness,
    HttpClient? http) : IDisposable
{
    /// <summary>Cosignatures of this ledger's checkpoints.</summary>
    public CosignatureStore Cosignatures => cosignatures;

    /// <summary>The client side (null when no witnesses are configured).</summary>
    public CheckpointWitnessing? Witnessing => witnessing;

    /// <summary>The configured witnesses and how many must cosign a published checkpoint.</summary>
    public CosignatureQuorum Quorum => quorum;

    /// <summary>This server as a witness (null unless <c>Attest:Witness:Enabled</c>).</summary>
    public Witness? Witness => witness;

    public void Dispose() => http?.Dispose();
}

/// <summary>The validated options of both sides of witnessing.</summary>
public sealed record WitnessingSettings(WitnessingOptions Witnessing, WitnessOptions Witness);

/// <summary>Registers witnessing (both sides) and opens it at start-up.</summary>
public static class WitnessingSetup
{
    public const string RateLimit = "witness-per-address";

    /// <summary>Registers witnessing; returns the validated options (the state is opened before the host is built, by
    /// <see cref="OpenWitnessingAsync"/>).</summary>
    public static WitnessingSettings AddAttestWitnessing(this IServiceCollection services, IConfiguration configuration)
    {
        var witnessing = services.AddValidatedOptions<WitnessingOptions>(configuration, WitnessingOptions.Section, o => o.Resolve().Errors);
        var witness = services.AddValidatedOptions<WitnessOptions>(configuration, WitnessOptions.Section, o => o.Resolve().Errors);
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
        return new WitnessingSettings(witnessing, witness);
    }

    /// <summary>Opens the cosignature table beside the ledger, the witnesses' client and, in witness mode, the
    /// witness's key and state. Failures are <see cref="StartupException"/>s naming the setting or file.</summary>
    public static async Task<WitnessingState> OpenWitnessingAsync(WitnessingSettings settings, AuditLedger ledger, SqlDatabase database, ServerSecrets secrets,
        string dataDirectory, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var (witnessing, witness) = settings;
        HttpClient? http = null;
        try
        {
            var cosignatures = await CosignatureStore.OpenAsync(database, cancellationToken).ConfigureAwait(false);
            var (endpoints, _) = witnessing.Resolve();
            var quorum = new CosignatureQuorum([.. endpoints.Select(e => e.Key)], witnessing.RequiredCount);
            CheckpointWitnessing? client = null;
            if (endpoints.Count > 0)
            {
                // Witness URLs come from the operator's configuration; a witness's redirect is not followed.
                http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
                {
                    Timeout = TimeSpan.FromSeconds(witnessing.TimeoutSeconds),
                };
                client = new CheckpointWitnessing(ledger.Store, cosignatures, endpoints, http);
                WitnessingLog.WitnessesConfigured(logger, endpoints.Count, witnessing.RequiredCount, string.Join(", ", endpoints.Select(e => e.Name)));
            }
            Witness? server = null;
            if (witness.Enabled)
            {
                var (logs, _) = witness.Resolve();
                var name = witness.Name ?? $"{ledger.Origin}/witness";
                var keyFile = Path.GetFullPath(witness.KeyPath ?? Path.Combine(dataDirectory, "keys", "witness.key"));
                // Replicas of a shared ledger share the witness key (and its state, in the same database).
                var (privateKey, place) = secrets.Store is { } store && witness.KeyPath is null
                    ? (await SignerKeys.LoadOrCreateSharedAsync(store, ServerSecrets.Kinds.WitnessKey, keyFile, name, "witness key", cancellationToken).ConfigureAwait(false),
                        $"the witness key in {store.Location}")
                    : (SignerKeys.LoadOrCreateFile(keyFile, name, "witness key"), $"witness key {keyFile}");
                var signer = Ed25519CosignatureSigner.FromPrivateKeyString(privateKey, time);
                if (signer.Name != name)
                    throw new StartupException($"{place} is named '{signer.Name}', but {WitnessOptions.Section}:Name is '{name}'");
                server = new Witness(signer, logs, await WitnessStateStore.OpenAsync(database, cancellationToken).ConfigureAwait(false));
                WitnessingLog.WitnessEnabled(logger, signer.VerifierKey.ToString(), string.Join(", ", logs.Select(l => l.Origin)));
            }
            return new WitnessingState(cosignatures, client, quorum, server, http);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or IOException or UnauthorizedAccessException
                                       or FormatException or CryptographicException or SecretStoreException)
        {
            http?.Dispose();
            throw new StartupException($"witnessing cannot start: {e.Message}", e);
        }
        catch
        {
            http?.Dispose();
            throw;
        }
    }
}

internal static partial class WitnessingLog
{
    [LoggerMessage(EventId = LogEvents.WitnessesConfigured, Level = LogLevel.Information, Message = "Checkpoints are sent to {Count} witnesses; {Required} cosignatures publish a checkpoint as witnessed: {Witnesses}")]
    public static partial void WitnessesConfigured(ILogger logger, int count, int required, string witnesses);

    [LoggerMessage(EventId = LogEvents.WitnessEnabled, Level = LogLevel.Information, Message = "Witness enabled; cosignatures verify with {VerifierKey}; logs witnessed: {Logs}")]
    public static partial void WitnessEnabled(ILogger logger, string verifierKey, string logs);

    [LoggerMessage(EventId = LogEvents.WitnessRefused, Level = LogLevel.Warning, Message = "Witness {Witness} refused checkpoint {Size}: {Reason}")]
    public static partial void WitnessRefused(ILogger logger, string witness, long size, string? reason);

    [LoggerMessage(EventId = LogEvents.WitnessUnreachable, Level = LogLevel.Warning, Message = "Witness {Witness} did not answer for checkpoint {Size}: {Reason}")]
    public static partial void WitnessUnreachable(ILogger logger, string witness, long size, string? reason);

    [LoggerMessage(EventId = LogEvents.CosignRefused, Level = LogLevel.Warning, Message = "Refused to cosign a checkpoint: {Reason}")]
    public static partial void CosignRefused(ILogger logger, string reason);
}
