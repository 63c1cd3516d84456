using Attest.Server.Hosting;

namespace Attest.Server.Secrets;

/// <summary>
/// Polls the secret store's version (one indexed row, once a second) and tells subscribers when another replica added
/// a secret, so that a key rotated through any replica is in force on every replica within a few seconds. A poll
/// rather than LISTEN/NOTIFY: it needs no long-lived connection, survives a database restart without reconnect logic,
/// and costs one tiny query per second per replica.
/// </summary>
public sealed partial class SecretWatcher(ServerSecrets secrets, TimeProvider time, ILogger<SecretWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private long _seen = -1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (secrets.Store is not { } store) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(false);
                var version = await store.GetVersionAsync(stoppingToken).ConfigureAwait(false);
                if (_seen < 0) _seen = secrets.LoadedVersion >= 0 ? secrets.LoadedVersion : version; // what start-up loaded
                if (version == _seen) continue;
                foreach (var reload in secrets.Subscribers) await reload(stoppingToken).ConfigureAwait(false);
                // Only once every subscriber reloaded: a failed reload is tried again on the next poll.
                _seen = version;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may be away for a moment; the next poll sees the change again.
                LogFailed(logger, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.KeyReloadFailed, Level = LogLevel.Warning, Message = "Reloading keys from the database failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
