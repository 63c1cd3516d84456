using Attest.Ledger;
using Attest.Policy.Evaluation;
using Attest.Server.Auth;
using Attest.Server.Hosting;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Attest.Server.Telemetry;

/// <summary>
/// OpenTelemetry for the server: the meters and activity sources of Attest (server, policy pipeline, ledger) with
/// ASP.NET Core's, HttpClient's and the runtime's; metrics exported for Prometheus at <c>/metrics</c> (on the main
/// listener with scope <c>metrics</c>, and without a token on <c>Attest:Telemetry:MetricsUrl</c> when set), traces and
/// metrics over OTLP when <c>Attest:Telemetry:Otlp:Endpoint</c> is set. Spans are recorded only when they go somewhere.
/// </summary>
public static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";

    public const string ServiceName = "attest";

    private static readonly string[] AspNetCoreMeters =
        ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.RateLimiting", "Microsoft.AspNetCore.Diagnostics"];

    /// <summary>Options, the metrics listener, and the OpenTelemetry providers.</summary>
    public static TelemetryOptions AddAttestTelemetry(this WebApplicationBuilder builder)
    {
        var options = builder.Services.AddValidatedOptions<TelemetryOptions>(builder.Configuration, TelemetryOptions.Section, o => o.Validate());
        if (!options.Enabled) return options;
        if (options.MetricsUrl is { } metricsUrl) AddListener(builder, metricsUrl);

        var version = BuildVersion();
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: version.Version))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(AttestInstruments.Name, EvaluationTelemetry.Name, LedgerTelemetry.Name)
                    // ASP.NET Core's meters that say something about the service (requests, connections, TLS, rate
                    // limiting, exceptions); not routing, authentication or authorization, each a measurement per request.
                    .AddMeter(AspNetCoreMeters)
                    .AddRuntimeInstrumentation()
                    // Prometheus reserves "_count" for histograms and summaries (promtool check metrics): the runtime's
                    // gauges so named are dropped when constant, renamed otherwise.
                    .AddView("dotnet.assembly.count", MetricStreamConfiguration.Drop)
                    .AddView("dotnet.process.cpu.count", MetricStreamConfiguration.Drop)
                    .AddView("dotnet.timer.count", MetricStreamConfiguration.Drop)
                    .AddView("dotnet.thread_pool.thread.count", new MetricStreamConfiguration { Name = "dotnet.thread_pool.threads" })
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (options.Otlp.Endpoint is { } endpoint) metrics.AddOtlpExporter(o => Configure(o, options.Otlp, endpoint, "v1/metrics"));
            });
        if (options.Otlp.Endpoint is { } traceEndpoint)
        {
            otel.WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.TraceSampleRatio)))
                .AddSource(AttestInstruments.Name, EvaluationTelemetry.Name, LedgerTelemetry.Name)
                // Probes and scrapes are not worth a trace each.
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddOtlpExporter(o => Configure(o, options.Otlp, traceEndpoint, "v1/traces")));
        }
        builder.Services.AddSingleton<TelemetryGauges>();
        return options;
    }

    /// <summary>Serves <c>/metrics</c>: on the metrics listener (nothing else is served there) and on the main one with
    /// scope <c>metrics</c>; counts token requests by outcome. Call before authentication (the metrics listener needs
    /// none) and before rate limiting (a refused token request is counted too).</summary>
    public static void UseAttestTelemetry(this WebApplication app, TelemetryOptions options)
    {
        if (!options.Enabled) return;
        app.Services.GetRequiredService<TelemetryGauges>();
        // The provider subscribes when it is built; measurements before that are lost, the zero series included.
        app.Services.GetRequiredService<MeterProvider>();
        AttestInstruments.Initialize();

        var scrape = ((IApplicationBuilder)app).New().UseOpenTelemetryPrometheusScrapingEndpoint(_ => true).Build();
        if (options.MetricsPort is { } port)
        {
            app.Use((context, next) =>
            {
                if (context.Connection.LocalPort != port) return next(context);
                if (context.Request.Path == MetricsPath && HttpMethods.IsGet(context.Request.Method)) return scrape(context);
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        }
        app.Use((context, next) => context.Request.Path == OAuthServer.TokenPath ? CountTokenRequestAsync(context, next) : next(context));
        app.MapGet(MetricsPath, (Func<HttpContext, Task>)(context => scrape(context)))
            .WithName("Metrics")
            .WithTags("health")
            .Produces(StatusCodes.Status200OK, contentType: "text/plain")
            .RequireAuthorization(Scopes.Metrics)
            .RequireRateLimiting(AuthSetup.ApiRateLimit);
    }

    private static async Task CountTokenRequestAsync(HttpContext context, RequestDelegate next)
    {
        await next(context).ConfigureAwait(false);
        AttestInstruments.TokenRequested(context.Response.StatusCode switch
        {
            StatusCodes.Status200OK => "issued",
            StatusCodes.Status401Unauthorized => "invalid_client",
            StatusCodes.Status429TooManyRequests => "rate_limited",
            _ => "invalid_request",
        });
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments(MetricsPath);

    private static void Configure(OtlpExporterOptions exporter, OtlpExportOptions options, string endpoint, string signalPath)
    {
        if (options.Protocol == TelemetryOptions.Grpc)
        {
            exporter.Protocol = OtlpExportProtocol.Grpc;
            exporter.Endpoint = new Uri(endpoint);
        }
        else
        {
            // Set in code, the endpoint is used as it is: the signal's path is ours to add (the variables add it themselves).
            exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
            exporter.Endpoint = new Uri(endpoint.TrimEnd('/') + "/" + signalPath);
        }
    }

    /// <summary>The main listener's addresses plus the metrics listener: Kestrel takes either its own endpoints section or
    /// the urls, never both, so the metrics URL goes where the main ones are.</summary>
    private static void AddListener(WebApplicationBuilder builder, string metricsUrl)
    {
        if (builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            builder.Configuration["Kestrel:Endpoints:AttestMetrics:Url"] = metricsUrl;
            return;
        }
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        builder.WebHost.UseUrls($"{(string.IsNullOrEmpty(urls) ? AttestServer.DefaultUrl : urls)};{metricsUrl}");
    }

    internal static (string Version, string Commit) BuildVersion()
    {
        var informational = typeof(TelemetrySetup).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? (informational, "unknown") : (informational[..plus], informational[(plus + 1)..]);
    }
}
