using Attest.Ledger;
using Attest.Ledger.Witnessing;
using Attest.Server.Hosting;

namespace Attest.Server.Witnessing;

/// <summary>
/// Sends each new checkpoint of the ledger to the configured witnesses (every replica does: a witness cosigns the
/// same checkpoint again, and answers a stale old size with its own), and logs refusals: a witness refusing a
/// checkpoint this log signed means someone was shown another history, or this database was rolled back.
/// </summary>
internal sealed partial class WitnessingService(AuditLedger ledger, WitnessingState state, TimeProvider time, ILogger<WitnessingService> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private long _settledSize;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (state.Witnessing is not { } witnessing) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(false);
                var latest = await ledger.GetLatestCheckpointAsync(stoppingToken).ConfigureAwait(false);
                if (latest is null || latest.Size <= _settledSize) continue;
                var outcomes = await witnessing.WitnessAsync(latest, stoppingToken).ConfigureAwait(false);
                foreach (var outcome in outcomes)
                {
                    if (outcome.Kind == WitnessOutcomeKind.Refused) WitnessingLog.WitnessRefused(logger, outcome.Witness, latest.Size, outcome.Message);
                    else if (outcome.Kind == WitnessOutcomeKind.Unreachable) WitnessingLog.WitnessUnreachable(logger, outcome.Witness, latest.Size, outcome.Message);
                }
                // An unreachable witness is asked again next time; every other answer settles this checkpoint.
                if (outcomes.All(o => o.Kind != WitnessOutcomeKind.Unreachable)) _settledSize = latest.Size;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may be away for a moment (a replica restarting PostgreSQL): try again next tick.
                LogFailed(logger, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.WitnessingFailed, Level = LogLevel.Warning, Message = "Witnessing the latest checkpoint failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
