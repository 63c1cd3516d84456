using Attest.Ledger;
using Attest.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Attest.Server.Health;

/// <summary>Ready when the ledger store is open, answers a query, and no audit has found it altered.</summary>
internal sealed class LedgerReadinessCheck(AuditLedger ledger, LedgerIntegrity integrity) : IHealthCheck
{
    public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var store = ledger.Store;
        if (integrity.Failure is { } failure) return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy(failure);
        try
        {
            var size = await store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
            return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy($"{size} entries");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy($"ledger query failed: {e.Message}");
        }
    }
}

/// <summary>Ready when the checksum database is open and its signed tree head can be read.</summary>
internal sealed class SumDbReadinessCheck(Attest.Server.SumDb.SumDbHolder sumdb) : IHealthCheck
{
    public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (sumdb.Log is not { } log) return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("checksum database not opened yet");
        try
        {
            var head = await log.LatestAsync(cancellationToken).ConfigureAwait(false);
            return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy($"{head.Size} records signed");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy($"checksum database query failed: {e.Message}");
        }
    }
}

/// <summary>Ready when a valid policy set has been loaded; degraded (still ready: the last good set serves) when a
/// reload since was refused, with that reload's errors.</summary>
internal sealed class PolicyReadinessCheck(PolicyState policies) : IHealthCheck
{
    public const string ErrorsKey = "errors";

    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (policies.Current is not { } set)
            return Task.FromResult(Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("policies not loaded yet"));
        var serving = $"{set.Documents.Count} documents, revision {set.Revision}";
        if (policies.Refused is { } refused)
            return Task.FromResult(Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Degraded(
                $"{serving}; a reload at {refused.At:O} was refused with {refused.Errors.Count} errors, so this last good set still serves",
                data: new Dictionary<string, object> { [ErrorsKey] = refused.Errors }));
        return Task.FromResult(Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy(serving));
    }
}
