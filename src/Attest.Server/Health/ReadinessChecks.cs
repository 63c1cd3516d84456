using Attest.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Attest.Server.Health;

/// <summary>Ready when the ledger store is open, answers a query, and no audit has found it altered.</summary>
internal sealed class LedgerReadinessCheck(LedgerHolder ledger, LedgerIntegrity integrity) : IHealthCheck
{
    public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (ledger.Store is not { } store) return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("ledger not opened yet");
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

/// <summary>Ready when a valid policy set has been loaded.</summary>
internal sealed class PolicyReadinessCheck(PolicyState policies) : IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(policies.Current is { } set
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy($"{set.Documents.Count} documents, revision {set.Revision}")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("policies not loaded yet"));
}
