using System.Text.Json.Serialization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Attest.Server.Health;

/// <summary><c>/healthz</c>: the process is alive (no dependencies checked). <c>/readyz</c>: the ledger answers
/// and a policy set is loaded, so admission requests can be decided; <c>degraded</c> (still 200) when the last policy
/// reload was refused and the last good set serves, with the refused reload's file:line:column errors.</summary>
public static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    public static void MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok", null)))
            .WithName("Liveness")
            .WithTags("health")
            .Produces<HealthResponse>(StatusCodes.Status200OK);

        endpoints.MapGet("/readyz", async (HealthCheckService health, CancellationToken cancellationToken) =>
            {
                var report = await health.CheckHealthAsync(c => c.Tags.Contains(ReadyTag), cancellationToken).ConfigureAwait(false);
                var checks = report.Entries.ToDictionary(
                    e => e.Key,
                    e => new HealthCheckResult(Status(e.Value.Status), e.Value.Description,
                        e.Value.Data.TryGetValue(PolicyReadinessCheck.ErrorsKey, out var errors) ? (IReadOnlyList<string>)errors : null));
                // Degraded still serves (the last good policy set decides): ready, and saying so.
                var ready = report.Status != HealthStatus.Unhealthy;
                var body = new HealthResponse(report.Status == HealthStatus.Unhealthy ? "not-ready" : Status(report.Status), checks);
                return ready
                    ? Results.Json(body, ServerJsonContext.Default.HealthResponse)
                    : Results.Json(body, ServerJsonContext.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
            })
            .WithName("Readiness")
            .WithTags("health")
            .Produces<HealthResponse>(StatusCodes.Status200OK)
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
    }

    private static string Status(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "ok",
        HealthStatus.Degraded => "degraded",
        _ => "failing",
    };
}

public sealed record HealthResponse(
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, HealthCheckResult>? Checks);

public sealed record HealthCheckResult(
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Errors = null);

[JsonSerializable(typeof(HealthResponse))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
