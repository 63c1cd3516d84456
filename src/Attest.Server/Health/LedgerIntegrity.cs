using Attest.Core;
using Attest.Ledger;
using Attest.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Attest.Server.Health;

/// <summary>What the audits of the ledger found last: start-up replays the tail since the checkpoint verified before,
/// and <see cref="LedgerAuditService"/> replays the whole log at start and on a schedule. <c>/readyz</c> fails, naming
/// the first bad index, as soon as one of them finds the log altered.</summary>
public sealed class LedgerIntegrity
{
    private volatile string? _failure;

    /// <summary>Why the ledger does not verify (first bad index, code and sentence), or null while it does.</summary>
    public string? Failure => _failure;

    /// <summary>When the last full audit finished, and how far it verified.</summary>
    public (DateTimeOffset At, long Entries)? LastFullAudit { get; private set; }

    /// <summary>Records a report; a failing one is kept (an altered log does not heal by itself: restore and restart).</summary>
    public string? Record(LedgerAuditReport report, DateTimeOffset at, bool full)
    {
        if (full) LastFullAudit = (at, report.EntriesChecked);
        var problem = Describe(report);
        if (problem is not null) _failure ??= problem;
        return problem;
    }

    /// <summary>"does not verify at index N: code: sentence", ignoring <paramref name="ignore"/>; null for a clean report.</summary>
    public static string? Describe(LedgerAuditReport report, params string[] ignore)
    {
        ArgumentNullException.ThrowIfNull(report);
        var first = report.Findings.FirstOrDefault(f => !ignore.Contains(f.Code));
        if (first is null) return null;
        var at = report.FirstBadIndex is { } index ? $" at index {index}" : "";
        return $"the ledger does not verify{at}: {first.Code}: {first.Message}" + (report.Findings.Count > 1 ? $" (and {report.Findings.Count - 1} more findings)" : "");
    }
}

/// <summary>Replays the whole ledger once the server runs and then every <c>Attest:Ledger:AuditInterval</c>; a log that
/// does not verify makes the server unready and stops it signing checkpoints over the altered log (entries are still
/// recorded).</summary>
internal sealed partial class LedgerAuditService(AuditLedger ledger, LedgerIntegrity integrity, IOptions<AttestServerOptions> options, TimeProvider time,
    ILogger<LedgerAuditService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Ledger.AuditInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var report = await LedgerAuditor.AuditAsync(ledger.Store, ledger.Trust, stoppingToken).ConfigureAwait(false);
                // A log whose first checkpoint is still due has nothing a key vouched for yet; that is not an alteration.
                var problem = LedgerIntegrity.Describe(report, LedgerCodes.CheckpointNone);
                integrity.Record(problem is null ? report with { Findings = [] } : report, time.GetUtcNow(), full: true);
                if (problem is not null)
                {
                    ledger.StopSigning(problem);
                    Telemetry.AttestInstruments.LedgerAudited("failed");
                    Log.AuditFailed(logger, ledger.Store.Location, problem);
                }
                else
                {
                    Telemetry.AttestInstruments.LedgerAudited("passed");
                    Log.AuditPassed(logger, ledger.Store.Location, report.EntriesChecked, report.VerifiedCheckpointSize);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store could not be read through (it went away): say so; readiness reports the store itself.
                Telemetry.AttestInstruments.LedgerAudited("incomplete");
                Log.AuditIncomplete(logger, ledger.Store.Location, e.Message);
            }
            try
            {
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.LedgerAuditPassed, Level = LogLevel.Information, Message = "Ledger {Location} verified: {Entries} entries, signed through size {Size}")]
        public static partial void AuditPassed(ILogger logger, string location, long entries, long size);

        [LoggerMessage(EventId = LogEvents.LedgerAuditFailed, Level = LogLevel.Error, Message = "Ledger {Location}: {Problem}; no further checkpoint is signed, /readyz fails")]
        public static partial void AuditFailed(ILogger logger, string location, string problem);

        [LoggerMessage(EventId = LogEvents.LedgerAuditIncomplete, Level = LogLevel.Warning, Message = "Audit of ledger {Location} did not complete: {Reason}")]
        public static partial void AuditIncomplete(ILogger logger, string location, string reason);
    }
}
