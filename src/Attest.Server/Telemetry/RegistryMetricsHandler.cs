using System.Diagnostics;
using System.Globalization;

namespace Attest.Server.Telemetry;

/// <summary>
/// Counts and times every request to a registry, hop by hop: it sits below the registry client's egress handler, so a
/// redirect to blob storage or a token realm is its own request under its own host, and only hosts the egress rules
/// allowed ever reach it (and <see cref="BoundedLabel"/> caps them still).
/// </summary>
internal sealed class RegistryMetricsHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var host = request.RequestUri is { } uri ? uri.Authority.ToLowerInvariant() : "none";
        var started = Stopwatch.GetTimestamp();
        var status = "error";
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            return response;
        }
        catch (OperationCanceledException)
        {
            status = "timeout";
            throw;
        }
        finally
        {
            AttestInstruments.RegistryRequest(host, status, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
