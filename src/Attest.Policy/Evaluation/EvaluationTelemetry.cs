using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Attest.Policy.Evaluation;

/// <summary>
/// The decision pipeline's spans and counters, on the .NET primitives (<see cref="ActivitySource"/>, <see cref="Meter"/>)
/// so the library depends on no telemetry SDK: the host subscribes by name. With nobody subscribed a span costs one
/// null check and a counter one branch. Labels are bounded: outcomes and reason codes (constants of the libraries),
/// never an image, a digest or an authority name.
/// </summary>
public static class EvaluationTelemetry
{
    public const string Name = "Attest.Policy";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> CacheLookups = Meter.CreateCounter<long>(
        "attest.admission.verdict_cache.lookups", "{lookup}", "Verdict cache lookups, by result (hit, miss)");

    private static readonly Counter<long> SharedWaits = Meter.CreateCounter<long>(
        "attest.admission.singleflight.waits", "{wait}", "Requests that joined a verification already in flight instead of starting one, by stage (collect, judge)");

    private static readonly Counter<long> Verifications = Meter.CreateCounter<long>(
        "attest.verifications", "{verification}", "Evidence verified against a policy authority, by outcome (verified, failed) and reason code");

    /// <summary>Creates the fixed-label series at zero, so rates and dashboards see them before the first event.</summary>
    public static void Initialize()
    {
        foreach (var result in new[] { "hit", "miss" }) CacheLookups.Add(0, new KeyValuePair<string, object?>("result", result));
        foreach (var stage in new[] { "collect", "judge" }) SharedWaits.Add(0, new KeyValuePair<string, object?>("stage", stage));
    }

    internal static void CacheLookup(bool hit) =>
        CacheLookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    internal static void SharedWait(string stage) =>
        SharedWaits.Add(1, new KeyValuePair<string, object?>("stage", stage));

    internal static void Verified(string? failureCode) =>
        Verifications.Add(1, new KeyValuePair<string, object?>("outcome", failureCode is null ? "verified" : "failed"),
            new KeyValuePair<string, object?>("reason", failureCode ?? "none"));
}
