using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Core.Transparency;
using Attest.Ledger;
using Attest.Testing;
using Dapper;
using Npgsql;
using Xunit.Abstractions;

namespace Attest.Server.Tests.Hosting;

/// <summary>
/// Three server processes on one real PostgreSQL under a bounded admission and signing load; 20 times, the replica
/// holding the ledger's sequencer lock at that moment (found in pg_locks by its application name) is killed with
/// SIGKILL and replaced. Afterwards: every acknowledged admission decision and signature is in the log, the log
/// verifies, each checkpoint is consistent with the previous one, and the survivors answered admissions again
/// within 10 seconds of each kill (the measured gaps are written to the test output).
/// </summary>
public sealed class SequencerFailoverTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const int Kills = 20;
    private static readonly TimeSpan MaxGap = TimeSpan.FromSeconds(10);

    private sealed class Replica(int slot, ServerWorkspace workspace)
    {
        public int Slot { get; } = slot;
        public ServerWorkspace Workspace { get; } = workspace;
        public ServerProcess? Process { get; set; }
        public string ApplicationName => $"attest-replica-{Slot}";
    }

    [Fact]
    public async Task Killing_the_sequencer_20_times_loses_no_acknowledged_entry_and_survivors_keep_answering()
    {
        var database = await SharedKeysServerTests.CreateDatabaseAsync(postgres);
        var replicas = Enumerable.Range(0, 3).Select(i => new Replica(i, new ServerWorkspace())).ToList();
        var acknowledgedAdmissions = new ConcurrentBag<string>();
        var acknowledgedSignatures = new ConcurrentDictionary<long, string>();
        var gaps = new List<TimeSpan>();
        using var stop = new CancellationTokenSource();
        var load = new List<Task>();
        try
        {
            foreach (var replica in replicas) await StartAsync(replica, database);
            var admin = ApiAccess.BootstrapAdmin(replicas[0].Workspace.DataDirectory);
            var ci = await replicas[0].Process!.CreateClientAsync(replicas[0].Workspace.DataDirectory, "ci", "sign");

            // Bounded load: two admission loops and one signing loop, each one request at a time, over every live replica.
            var counter = 0;
            for (var l = 0; l < 2; l++)
                load.Add(Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                        foreach (var replica in replicas)
                        {
                            if (replica.Process is not { } server || server.HasExited) continue;
                            var ns = $"f{Interlocked.Increment(ref counter).ToString(CultureInfo.InvariantCulture)}";
                            if (await AdmitAsync(server, ns)) acknowledgedAdmissions.Add(ns);
                        }
                }));
            load.Add(Task.Run(async () =>
            {
                var tokens = new Dictionary<int, string>();
                while (!stop.IsCancellationRequested)
                    foreach (var replica in replicas)
                    {
                        if (replica.Process is not { } server || server.HasExited) continue;
                        try
                        {
                            if (!tokens.TryGetValue(replica.Slot, out var token)) tokens[replica.Slot] = token = await server.TokenAsync(ci);
                            var digest = "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
                            using var response = await server.SendAsync(HttpMethod.Post, "v1/signatures", token, JsonContent.Create(new { digest }));
                            if (response.StatusCode != HttpStatusCode.Created) continue;
                            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                            acknowledgedSignatures[body.RootElement.GetProperty("logIndex").GetInt64()] = digest;
                        }
                        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
                        {
                            tokens.Remove(replica.Slot); // the replica died mid-request (or was replaced): unacknowledged
                        }
                    }
            }));

            await using (var connection = new NpgsqlConnection(database))
            {
                await connection.OpenAsync();
                Task restarting = Task.CompletedTask;
                for (var kill = 0; kill < Kills; kill++)
                {
                    // At least two replicas run at every kill: the one killed last time is restarted meanwhile.
                    var holder = await SequencerHolderAsync(connection, replicas);
                    var killedAt = Stopwatch.GetTimestamp();
                    Process.GetProcessById(holder.Process!.ProcessId).Kill(); // SIGKILL: no shutdown, no final checkpoint
                    // Each survivor must answer an admission (recorded in the ledger) that it received after the kill.
                    var survivors = replicas.Where(r => r != holder && r.Process is { HasExited: false }).ToList();
                    var answered = await Task.WhenAll(survivors.Select(s => FirstAnswerAsync(s.Process!, killedAt)));
                    gaps.Add(answered.Max());
                    Assert.True(answered.Max() < MaxGap, $"kill {kill}: a survivor took {answered.Max().TotalSeconds:F1} s to answer an admission again");
                    await holder.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
                    await restarting;
                    var killed = holder.Process;
                    holder.Process = null;
                    await killed.DisposeAsync();
                    restarting = StartAsync(holder, database);
                }
                await restarting;
            }
            await stop.CancelAsync();
            await Task.WhenAll(load);

            output.WriteLine($"{Kills} kills of the sequencer: gap until every survivor answered an admission again: " +
                             $"median {Median(gaps).TotalMilliseconds:F0} ms, max {gaps.Max().TotalMilliseconds:F0} ms (load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}); " +
                             $"{acknowledgedAdmissions.Count} admissions and {acknowledgedSignatures.Count} signatures acknowledged");
            Assert.True(acknowledgedAdmissions.Count > Kills && acknowledgedSignatures.Count > Kills, "the load did not run");

            // Nothing acknowledged is missing.
            await using (var connection = new NpgsqlConnection(database))
            {
                await connection.OpenAsync();
                var recorded = (await connection.QueryAsync<string>("SELECT namespace FROM entries WHERE kind = 'admission.decision' AND namespace IS NOT NULL")).ToHashSet();
                var missing = acknowledgedAdmissions.Where(ns => !recorded.Contains(ns)).ToList();
                Assert.True(missing.Count == 0, $"acknowledged admissions missing from the log: {string.Join(", ", missing.Take(10))}");
                var digests = (await connection.QueryAsync<(long Idx, string? Digest)>("SELECT idx AS Idx, digest AS Digest FROM entries WHERE idx = ANY(@ids)",
                    new { ids = acknowledgedSignatures.Keys.ToArray() })).ToDictionary(r => r.Idx, r => r.Digest);
                Assert.All(acknowledgedSignatures, s => Assert.Equal(s.Value, digests.GetValueOrDefault(s.Key)));
            }

            // The log verifies, and each checkpoint is consistent with the one before.
            var logKey = NoteVerifierKey.Parse(LogKey(replicas[0].Process!.StandardOutput));
            await using var store = await PostgresLedgerStore.OpenAsync(database);
            var report = await LedgerAuditor.AuditAsync(store, new LedgerAuditOptions(logKey.Name, [logKey]));
            Assert.True(report.IsValid, string.Join("; ", report.Findings));
            StoredCheckpoint? previous = null;
            await foreach (var checkpoint in store.ReadCheckpointsAsync())
            {
                if (previous is not null)
                {
                    var proof = await store.GetConsistencyProofAsync(previous.Size, checkpoint.Size);
                    Assert.True(proof.Verify(previous.RootHash, checkpoint.RootHash).IsValid, $"checkpoint {checkpoint.Size} is not consistent with {previous.Size}");
                }
                previous = checkpoint;
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await Task.WhenAll(load);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
            {
            }
            foreach (var replica in replicas)
            {
                if (replica.Process is { } process) await process.DisposeAsync();
                replica.Workspace.Dispose();
            }
        }
    }

    /// <summary>Time from the kill until the survivor answered a recorded admission decision sent after it.</summary>
    private static async Task<TimeSpan> FirstAnswerAsync(ServerProcess server, long killedAt)
    {
        while (Stopwatch.GetElapsedTime(killedAt) < MaxGap + TimeSpan.FromSeconds(5))
        {
            if (await AdmitAsync(server, "probe-" + Guid.NewGuid().ToString("N")[..8])) return Stopwatch.GetElapsedTime(killedAt);
            await Task.Delay(10);
        }
        return Stopwatch.GetElapsedTime(killedAt);
    }

    private static async Task StartAsync(Replica replica, string database)
    {
        var connection = new NpgsqlConnectionStringBuilder(database) { ApplicationName = replica.ApplicationName }.ConnectionString;
        replica.Process = await ServerProcess.Start(replica.Workspace.Path, null, SharedKeysServerTests.Environment(connection))
            .WaitUntilListeningAsync(TimeSpan.FromSeconds(120));
    }

    /// <summary>The replica whose connection holds the ledger's sequencer lock (an advisory lock), sampled until one does.</summary>
    private static async Task<Replica> SequencerHolderAsync(NpgsqlConnection connection, List<Replica> replicas)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var names = await connection.QueryAsync<string>("""
                SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = @key
                """, new { key = 0x4174_7465_7374_4c67L });
            if (replicas.FirstOrDefault(r => names.Contains(r.ApplicationName) && r.Process is { HasExited: false }) is { } holder) return holder;
            await Task.Delay(1);
        }
        throw new TimeoutException("no replica was seen holding the sequencer lock in 30 s");
    }

    private static async Task<bool> AdmitAsync(ServerProcess server, string ns)
    {
        var review = $$$"""
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"{{{Guid.NewGuid()}}}","kind":{"group":"","version":"v1","kind":"Pod"},
             "resource":{"group":"","version":"v1","resource":"pods"},"name":"web","namespace":"{{{ns}}}","operation":"CREATE","userInfo":{"username":"failover"},
             "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"{{{ns}}}"},"spec":{"containers":[{"name":"app",
             "image":"registry.invalid/unmatched@sha256:{{{new string('a', 64)}}}"}]}},"oldObject":null,"dryRun":false}}
            """;
        try
        {
            using var content = new StringContent(review, Encoding.UTF8, "application/json");
            using var response = await server.Client.PostAsync("admission/validate", content);
            if (response.StatusCode != HttpStatusCode.OK) return false;
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            // Unmatched images are denied by policy; a decision that could not be recorded is denied with another reason.
            var message = body.RootElement.GetProperty("response").TryGetProperty("status", out var status) ? status.GetProperty("message").GetString() ?? "" : "";
            return message.Contains("policy.none", StringComparison.Ordinal) && !message.Contains("ledger.unavailable", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string LogKey(string startupOutput)
    {
        var line = startupOutput.Split('\n').First(l => l.Contains("\"EventId\":1002", StringComparison.Ordinal));
        using var document = JsonDocument.Parse(line);
        return document.RootElement.GetProperty("State").GetProperty("VerifierKey").GetString()!;
    }

    private static TimeSpan Median(List<TimeSpan> values) => values.Order().ElementAt(values.Count / 2);
}
