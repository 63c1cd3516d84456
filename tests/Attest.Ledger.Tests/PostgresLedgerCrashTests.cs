using System.Collections.Concurrent;
using System.Diagnostics;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Testing;
using Npgsql;

namespace Attest.Ledger.Tests;

/// <summary>
/// Durability on PostgreSQL: the appender killed with SIGKILL at random moments, and the server itself stopped
/// and started under load. Nothing acknowledged may be lost; appends fail while the server is away and resume.
/// </summary>
[Collection(LedgerPostgresCollection.Name)]
public class PostgresLedgerCrashTests(PostgresFixture postgres)
{
    private const string Origin = "attest.test/pg-restart";

    /// <summary>Iterations: ATTEST_CRASH_ITERATIONS (default 50, as for SQLite).</summary>
    [Fact]
    public async Task Every_acknowledged_append_survives_sigkill_of_the_appender_on_postgres()
    {
        var connection = await LedgerDatabases.CreateAsync(postgres);
        using var dir = new TempDirectory("attest-pg-crash");
        // The connection string (with its password) goes through the environment, as operators are told to.
        await CrashHarness.RunAsync(dir, [], new Dictionary<string, string> { ["ATTEST_LEDGER_CONNECTION"] = connection },
            async () => await PostgresLedgerStore.OpenAsync(connection), CrashHarness.Iterations(defaultCount: 50));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Appends_fail_while_the_server_restarts_then_resume_and_nothing_acknowledged_is_lost(bool immediate)
    {
        var connection = await LedgerDatabases.CreateAsync(postgres);
        var signer = new Ed25519NoteSigner(Origin, Ed25519.GenerateSeed());
        var acknowledged = new ConcurrentDictionary<long, (int Writer, int Sequence)>();
        var failures = 0;
        var acknowledgedAfterRestart = 0;
        var restarted = false;

        await using (var store = await PostgresLedgerStore.OpenAsync(connection))
        await using (var ledger = await AuditLedger.OpenAsync(store, new AuditLedgerOptions { Origin = Origin, CheckpointEveryEntries = 200 }, [signer], TimeProvider.System))
        {
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 16).Select(writer => Task.Run(async () =>
            {
                for (var sequence = 0; !stop.IsCancellationRequested; sequence++)
                {
                    try
                    {
                        var index = await ledger.AppendAsync(new LedgerEntry { Kind = "test.restart", Client = $"{writer}/{sequence}" });
                        Assert.True(acknowledged.TryAdd(index, (writer, sequence)), $"index {index} acknowledged twice");
                        if (Volatile.Read(ref restarted)) Interlocked.Increment(ref acknowledgedAfterRestart);
                    }
                    catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
                    {
                        // The server is away: the append fails cleanly (no index) and the writer tries again.
                        Interlocked.Increment(ref failures);
                        await Task.Delay(20);
                    }
                }
            })).ToArray();

            await WaitUntilAsync(() => acknowledged.Count >= 300, "appends before the restart");
            await postgres.RestartAsync(immediate);
            Volatile.Write(ref restarted, true);
            await WaitUntilAsync(() => Volatile.Read(ref acknowledgedAfterRestart) >= 300, "appends after the restart");
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            await ledger.CheckpointAsync();
        }

        // Every acknowledged append is in the log at its index, with its content; the log verifies.
        await using var audit = await PostgresLedgerStore.OpenAsync(connection);
        var size = await audit.GetSizeAsync();
        var found = 0;
        await foreach (var row in audit.ReadEntriesAsync(0, size))
        {
            if (!acknowledged.TryGetValue(row.Index, out var expected)) continue;
            Assert.True(LedgerEntryCodec.TryParse(row.Body, out var entry, out _));
            Assert.Equal($"{expected.Writer}/{expected.Sequence}", entry.Entry.Client);
            found++;
        }
        Assert.Equal(acknowledged.Count, found);
        var report = await LedgerAuditor.AuditAsync(audit, new LedgerAuditOptions(Origin, [signer.VerifierKey]));
        Assert.True(report.IsValid, string.Join("; ", report.Findings));
        Assert.Equal(size, report.VerifiedCheckpointSize);
        Assert.True(failures > 0, "no append failed: the restart did not happen under load");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }
}
