using Attest.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Attest.Server.Health;

/// <summary>Ready when the ledger store is open and answers a query.</summary>
internal sealed class LedgerReadinessCheck(LedgerHolder ledger) : IHealthCheck
{
    public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (ledger.Store is not { } store) return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("ledger not opened yet");
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

/// <summary>Ready when a valid policy set has been loaded.</summary>
internal sealed class PolicyReadinessCheck(PolicyState policies) : IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(policies.Current is { } set
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy($"{set.Documents.Count} documents, revision {set.Revision}")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("policies not loaded yet"));
}
