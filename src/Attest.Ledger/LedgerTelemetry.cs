using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Attest.Ledger;

/// <summary>
/// The ledger's spans and instruments, on the .NET primitives (<see cref="ActivitySource"/>, <see cref="Meter"/>): the
/// host subscribes by name; with nobody subscribed they cost a branch. No labels beyond a fixed outcome.
/// </summary>
public static class LedgerTelemetry
{
    public const string Name = "Attest.Ledger";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    private static readonly Histogram<double> AppendDuration = Meter.CreateHistogram(
        "attest.ledger.append.duration", "s", "Time from an append being queued to its entry being durable (or failing)",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram(
        "attest.ledger.commit.duration", "s", "Time one group commit (one transaction, one fsync) of a batch takes",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    private static readonly Histogram<long> BatchSize = Meter.CreateHistogram(
        "attest.ledger.commit.batch_size", "{entry}", "Entries committed together in one group commit",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });

    private static readonly ObservableGauge<long> SqliteMemory = Meter.CreateObservableGauge(
        "attest.ledger.sqlite.memory", SqliteMemoryUsed, "By",
        "Memory SQLite holds in this process now (page caches of every connection, prepared statements): the native share of the resident set");

    private static readonly Counter<long> Appends = Meter.CreateCounter<long>(
        "attest.ledger.appends", "{append}", "Ledger appends, by outcome (recorded, failed, pushback: refused at once because the queue was full)");

    /// <summary>Creates the outcome series at zero, so rates and alerts see them before the first failure.</summary>
    public static void Initialize()
    {
        foreach (var outcome in new[] { "recorded", "failed", "pushback" })
            Appends.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
    }

    internal static void Appended(long startTimestamp, bool succeeded)
    {
        AppendDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
        Appends.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? "recorded" : "failed"));
    }

    /// <summary>SQLite's own count; reading it loads SQLite first if nothing has (a PostgreSQL ledger may not have).</summary>
    private static long SqliteMemoryUsed()
    {
        _ = SqliteLoaded.Value;
        return SQLitePCL.raw.sqlite3_memory_used();
    }

    private static readonly Lazy<bool> SqliteLoaded = new(() =>
    {
        SQLitePCL.Batteries_V2.Init();
        return true;
    });

    internal static void PushedBack() => Appends.Add(1, new KeyValuePair<string, object?>("outcome", "pushback"));

    internal static void Committed(long startTimestamp, int entries)
    {
        if (entries == 0) return;
        CommitDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
        BatchSize.Record(entries);
    }
}
