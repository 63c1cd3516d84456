using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Attest.Server.Telemetry;

/// <summary>
/// The server's own spans and counters, on the .NET primitives (the OpenTelemetry SDK subscribes to them by name, see
/// <see cref="TelemetrySetup"/>). Static, so a call site is one line and no endpoint signature changes. Every label is
/// from a fixed set or a reason code (a constant of the libraries), passed through <see cref="BoundedLabel"/>; never an
/// image, a digest, a client id or a user.
/// </summary>
public static class AttestInstruments
{
    public const string Name = "Attest.Server";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Fine below 10 ms, where a cached admission lives, and up to the API server's 10 s timeout.</summary>
    internal static readonly double[] LatencyBuckets =
        [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly Counter<long> AdmissionRequests = Meter.CreateCounter<long>(
        "attest.admission.requests", "{request}", "AdmissionReview requests answered, by webhook, operation, workload kind, verdict and reason code");

    private static readonly Histogram<double> AdmissionDuration = Meter.CreateHistogram(
        "attest.admission.duration", "s", "Time from an AdmissionReview arriving to its answer (reading, evaluation, ledger append), by webhook and verdict",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    private static readonly Counter<long> RegistryRequests = Meter.CreateCounter<long>(
        "attest.registry.requests", "{request}", "HTTP requests to registries (each hop: redirects and token realms too), by registry host and status code (or error, timeout)");

    private static readonly Histogram<double> RegistryDuration = Meter.CreateHistogram(
        "attest.registry.request.duration", "s", "Time until a registry's response headers (or the failure), by registry host",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    private static readonly Counter<long> PolicyReloads = Meter.CreateCounter<long>(
        "attest.policy.reloads", "{reload}", "Policy directory reloads (trust material included), by outcome (applied, refused)");

    private static readonly Counter<long> LedgerAudits = Meter.CreateCounter<long>(
        "attest.ledger.audits", "{audit}", "Background replays of the whole ledger, by outcome (passed, failed: the log does not verify, incomplete: the store could not be read)");

    private static readonly Counter<long> Issued = Meter.CreateCounter<long>(
        "attest.signing.issued", "{artifact}", "What Attest signed and logged, by artifact (signature, attestation, certificate, timestamp, log_entry)");

    private static readonly Counter<long> Checks = Meter.CreateCounter<long>(
        "attest.checks", "{check}", "go.sum and SBOM check evaluations recorded, by check and outcome (passed, failed)");

    private static readonly Counter<long> TokenRequests = Meter.CreateCounter<long>(
        "attest.auth.token_requests", "{request}", "Access-token requests, by outcome (issued, invalid_request, invalid_client, rate_limited)");

    private static readonly Counter<long> IdentityTokens = Meter.CreateCounter<long>(
        "attest.keyless.identity_tokens", "{token}", "CI identity (OIDC) tokens presented for a keyless certificate, by outcome (accepted, rejected) and the rejection's reason code");

    private static readonly BoundedLabel Reasons = new(256);
    private static readonly BoundedLabel RegistryHosts = new(64);

    /// <summary>Series that alerts compute rates of exist (at zero) from the first scrape.</summary>
    internal static void Initialize()
    {
        foreach (var outcome in new[] { "applied", "refused" }) PolicyReloads.Add(0, Tag("outcome", outcome));
        foreach (var outcome in new[] { "passed", "failed", "incomplete" }) LedgerAudits.Add(0, Tag("outcome", outcome));
        foreach (var artifact in new[] { "signature", "attestation", "certificate", "timestamp", "log_entry" }) Issued.Add(0, Tag("artifact", artifact));
        IdentityTokens.Add(0, Tag("outcome", "accepted"), Tag("reason", "none"));
        Ledger.LedgerTelemetry.Initialize();
        Policy.Evaluation.EvaluationTelemetry.Initialize();
    }

    internal static void AdmissionAnswered(string webhook, string operation, string kind, string verdict, string reason, double seconds)
    {
        var tags = new TagList
        {
            { "webhook", webhook },
            { "operation", operation },
            { "kind", kind },
            { "verdict", verdict },
            { "reason", Reasons.Of(reason) },
        };
        AdmissionRequests.Add(1, tags);
        AdmissionDuration.Record(seconds, Tag("webhook", webhook), Tag("verdict", verdict));
    }

    internal static void RegistryRequest(string host, string status, double seconds)
    {
        var registry = RegistryHosts.Of(host);
        RegistryRequests.Add(1, Tag("registry", registry), Tag("status", status));
        RegistryDuration.Record(seconds, Tag("registry", registry));
    }

    internal static void PolicyReloaded(bool applied) => PolicyReloads.Add(1, Tag("outcome", applied ? "applied" : "refused"));

    internal static void LedgerAudited(string outcome) => LedgerAudits.Add(1, Tag("outcome", outcome));

    /// <summary><paramref name="artifact"/>: signature, attestation, certificate, timestamp or log_entry.</summary>
    internal static void Signed(string artifact) => Issued.Add(1, Tag("artifact", artifact));

    internal static void CheckRecorded(string check, string outcome) => Checks.Add(1, Tag("check", check), Tag("outcome", outcome));

    internal static void TokenRequested(string outcome) => TokenRequests.Add(1, Tag("outcome", outcome));

    internal static void IdentityToken(bool accepted, string reason = "none") =>
        IdentityTokens.Add(1, Tag("outcome", accepted ? "accepted" : "rejected"), Tag("reason", Reasons.Of(reason)));

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);
}
