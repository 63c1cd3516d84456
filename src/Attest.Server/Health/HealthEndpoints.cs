using System.Text.Json.Serialization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Attest.Server.Health;

/// <summary><c>/healthz</c>: the process is alive (no dependencies checked). <c>/readyz</c>: the ledger answers
/// and a policy set is loaded, so admission requests can be decided.</summary>
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
                    e => new HealthCheckResult(e.Value.Status == HealthStatus.Healthy ? "ok" : "failing", e.Value.Description));
                var ready = report.Status == HealthStatus.Healthy;
                var body = new HealthResponse(ready ? "ok" : "not-ready", checks);
                return ready
                    ? Results.Json(body, ServerJsonContext.Default.HealthResponse)
                    : Results.Json(body, ServerJsonContext.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
            })
            .WithName("Readiness")
            .WithTags("health")
            .Produces<HealthResponse>(StatusCodes.Status200OK)
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
    }
}

public sealed record HealthResponse(
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, HealthCheckResult>? Checks);

public sealed record HealthCheckResult(
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail);

[JsonSerializable(typeof(HealthResponse))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
