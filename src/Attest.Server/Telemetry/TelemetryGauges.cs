using System.Diagnostics.Metrics;
using System.Security.Cryptography.X509Certificates;
using Attest.Ledger;
using Attest.Policy.Evaluation;
using Attest.Server.Checks;
using Attest.Server.Hosting;

namespace Attest.Server.Telemetry;

/// <summary>
/// Gauges read from the server's state when Prometheus scrapes (nothing on the hot path): the verdict cache, the policy
/// revision in force and whether a reload is being refused, the ledger's size, checkpoint and integrity, upload bytes
/// in flight, the TLS certificate's expiry and the build.
/// </summary>
internal sealed class TelemetryGauges
{
    public TelemetryGauges(IMeterFactory meters, IConfiguration configuration, AdmissionEvaluator evaluator, PolicyState policies, AuditLedger ledger,
        UploadSpace uploads, TimeProvider time)
    {
        var meter = meters.Create(AttestInstruments.Name);
        var (version, commit) = TelemetrySetup.BuildVersion();
        meter.CreateObservableGauge("attest.build.info", () => new Measurement<int>(1,
            new KeyValuePair<string, object?>("version", version), new KeyValuePair<string, object?>("commit", commit)),
            description: "Always 1; the labels name the running build");

        meter.CreateObservableGauge("attest.admission.verdict_cache.size", () => evaluator.CachedVerdicts, "{verdict}", "Verdicts cached now");

        meter.CreateObservableGauge("attest.policy.info", () => policies.Current is { } set
                ? [new Measurement<int>(1, new KeyValuePair<string, object?>("revision", set.Revision))]
                : Array.Empty<Measurement<int>>(),
            description: "Always 1; the label names the policy revision in force (policy files and trust material)");
        meter.CreateObservableGauge("attest.policy.reload.failing", () => policies.Refused is null ? 0 : 1,
            description: "1 while the last policy reload was refused and the previous revision still serves");

        meter.CreateObservableGauge("attest.ledger.entries", () => ledger.Size, "{entry}", "Entries in the ledger");
        meter.CreateObservableGauge("attest.ledger.checkpoint.entries", () => ledger.CheckpointSize, "{entry}", "Entries the latest signed checkpoint covers");
        meter.CreateObservableGauge("attest.ledger.checkpoint.age", () => (time.GetUtcNow() - ledger.CheckpointSignedAt).TotalSeconds, "s",
            "Seconds since this replica last signed a checkpoint (or opened the ledger)");
        meter.CreateObservableGauge("attest.ledger.quarantined", () => ledger.Quarantine is null ? 0 : 1,
            description: "1 once an audit found the ledger altered: no checkpoint is signed any more and /readyz fails");

        meter.CreateObservableGauge("attest.checks.upload.in_flight", () => uploads.UsedBytes, "By", "Check upload bytes buffered on scratch disk now");
        meter.CreateObservableGauge("attest.checks.upload.capacity", () => uploads.CapacityBytes, "By", "Scratch disk check uploads may fill together (Attest:Checks:UploadSpaceBytes)");

        if (TlsCertificateExpiry(configuration) is { } expiry)
            meter.CreateObservableGauge("attest.tls.certificate.expiry_time", () => expiry, "s",
                "When the serving TLS certificate (Kestrel:Certificates:Default:Path) expires, in seconds since the Unix epoch");
    }

    /// <summary>The configured serving certificate's notAfter, read once: Kestrel serves the certificate it loaded at start.</summary>
    private static double? TlsCertificateExpiry(IConfiguration configuration)
    {
        if (configuration["Kestrel:Certificates:Default:Path"] is not { Length: > 0 } path) return null;
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificateFromFile(path); // PEM or DER (a PFX needs its password: not shown)
            return new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            return null; // Kestrel reports an unusable certificate itself, at start-up
        }
    }
}
