using System.Diagnostics;
using System.Globalization;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Ledger;

namespace Attest.Benchmarks;

/// <summary>
/// Appends per second of the PostgreSQL ledger with R replicas sharing one database, each with W concurrent writers
/// (each writer awaits its own appends one after another, as admission requests do). A replica is an AuditLedger with
/// its own connection pool and sequencer, as in a server process; they take turns under the database's sequencer lock,
/// and a batch that loses the turn reloads and retries. Every combination gets a fresh database.
/// Run (bench/ha/run.sh starts a server with fsync on): dotnet run -c Release --project bench/Attest.Benchmarks --
///   ledger-replicas "CONNECTION" [SECONDS=10] [REPLICAS=1,2,3] [WRITERS=8,64]
/// </summary>
internal static class ReplicaAppendThroughput
{
    public static async Task<int> RunAsync(string connectionString, double seconds, int[] replicaCounts, int[] writerCounts)
    {
        Environment.SetEnvironmentVariable(LedgerAppendBenchmarks.PostgresVariable, connectionString);
        Console.WriteLine($"ledger appends/s on PostgreSQL: {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {seconds} s per run");
        Console.WriteLine("replicas  writers/replica  appends/s  per replica  p50 ms  p99 ms");
        foreach (var writers in writerCounts)
            foreach (var replicas in replicaCounts)
                await RunOneAsync(replicas, writers, seconds);
        return 0;
    }

    private static async Task RunOneAsync(int replicaCount, int writers, double seconds)
    {
        var database = await BenchPostgres.CreateDatabaseAsync();
        var signer = new Ed25519NoteSigner("bench", Ed25519.GenerateSeed());
        var stores = new List<PostgresLedgerStore>();
        var ledgers = new List<AuditLedger>();
        try
        {
            for (var r = 0; r < replicaCount; r++)
            {
                var store = await PostgresLedgerStore.OpenAsync(database);
                stores.Add(store);
                ledgers.Add(await AuditLedger.OpenAsync(store, new AuditLedgerOptions { Origin = "bench" }, [signer], TimeProvider.System));
            }
            // Warm-up: connections opened, code jitted.
            await RunAsync(ledgers, writers, TimeSpan.FromSeconds(Math.Min(2, seconds / 4)));
            var (count, latencies) = await RunAsync(ledgers, writers, TimeSpan.FromSeconds(seconds));
            latencies.Sort();
            var rate = count / seconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{replicaCount,8}  {writers,15}  {rate,9:F0}  {rate / replicaCount,11:F0}  {latencies[latencies.Count / 2],6:F1}  {latencies[(int)(latencies.Count * 0.99)],6:F1}"));
        }
        finally
        {
            foreach (var ledger in ledgers) await ledger.DisposeAsync();
            foreach (var store in stores) await store.DisposeAsync();
            await BenchPostgres.DropDatabaseAsync(database);
        }
    }

    private static async Task<(long Count, List<double> Latencies)> RunAsync(List<AuditLedger> ledgers, int writers, TimeSpan duration)
    {
        var deadline = Stopwatch.StartNew();
        var results = await Task.WhenAll(ledgers.SelectMany((ledger, r) => Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var latencies = new List<double>();
            var i = 0;
            while (deadline.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                await ledger.AppendAsync(BenchData.Decision((r * 1000 + w) * 1_000_000 + i++));
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            return latencies;
        }))));
        return (results.Sum(l => l.Count), [.. results.SelectMany(l => l)]);
    }
}
