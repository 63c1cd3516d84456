namespace Attest.Server.Telemetry;

/// <summary>Section <c>Attest:Telemetry</c>: metrics, traces and where they go.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Attest:Telemetry";

    public const string Grpc = "grpc";
    public const string HttpProtobuf = "http/protobuf";

    /// <summary>Metrics and spans at all. Off: no <c>/metrics</c>, no spans recorded, nothing exported (log lines keep
    /// the request's trace id).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A second listener (<c>http://0.0.0.0:9464</c>) that serves only <c>GET /metrics</c>, without a token, for
    /// Prometheus inside the cluster. Unset: <c>/metrics</c> is served on the main listener only, with scope
    /// <c>metrics</c>.</summary>
    public string? MetricsUrl { get; set; }

    /// <summary>Fraction of new traces recorded (0 to 1); a caller's <c>traceparent</c> decision is followed.</summary>
    public double TraceSampleRatio { get; set; } = 1;

    public OtlpExportOptions Otlp { get; set; } = new();

    /// <summary>The port of <see cref="MetricsUrl"/> once validated, else null.</summary>
    public int? MetricsPort => MetricsUrl is not null && Uri.TryCreate(MetricsUrl, UriKind.Absolute, out var uri) ? uri.Port : null;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MetricsUrl is not null &&
            (!Uri.TryCreate(MetricsUrl, UriKind.Absolute, out var metrics) || metrics.Scheme != Uri.UriSchemeHttp || metrics.Port is <= 0 or > 65535 ||
             metrics.IsDefaultPort || metrics.AbsolutePath != "/" || metrics.Query.Length > 0))
            errors.Add($"Attest:Telemetry:MetricsUrl must be http://HOST:PORT with an explicit port (e.g. http://0.0.0.0:9464), not '{MetricsUrl}'");
        if (TraceSampleRatio is < 0 or > 1 || double.IsNaN(TraceSampleRatio))
            errors.Add($"Attest:Telemetry:TraceSampleRatio must be between 0 and 1, not {TraceSampleRatio}");
        if (Otlp.Endpoint is not null &&
            (!Uri.TryCreate(Otlp.Endpoint, UriKind.Absolute, out var otlp) || (otlp.Scheme != Uri.UriSchemeHttp && otlp.Scheme != Uri.UriSchemeHttps)))
            errors.Add($"Attest:Telemetry:Otlp:Endpoint must be an http(s) URL, not '{Otlp.Endpoint}'");
        if (Otlp.Protocol is not (Grpc or HttpProtobuf))
            errors.Add($"Attest:Telemetry:Otlp:Protocol must be {Grpc} or {HttpProtobuf}, not '{Otlp.Protocol}'");
        return errors;
    }
}

/// <summary>Section <c>Attest:Telemetry:Otlp</c>: export of traces and metrics to an OpenTelemetry collector.</summary>
public sealed class OtlpExportOptions
{
    /// <summary>The collector's base URL (<c>http://collector:4318</c> for http/protobuf, <c>http://collector:4317</c> for
    /// grpc). Unset: nothing is exported over OTLP (the standard <c>OTEL_EXPORTER_OTLP_*</c> variables are not read).</summary>
    public string? Endpoint { get; set; }

    /// <summary><c>http/protobuf</c> (default) or <c>grpc</c>.</summary>
    public string Protocol { get; set; } = TelemetryOptions.HttpProtobuf;
}
