using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Testing;

namespace Attest.Ledger.Tests;

/// <summary>
/// Durability under SIGKILL: a child <c>attest ledger append</c> appends under load and is killed at random
/// moments; every append it acknowledged must be present afterwards, the log must verify, and appending resumes.
/// Iterations: ATTEST_CRASH_ITERATIONS (default 50, the acceptance figure of issue 6).
/// </summary>
public class LedgerCrashTests
{
    [Fact]
    public async Task Every_acknowledged_append_survives_sigkill_and_the_log_verifies()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("ATTEST_CRASH_ITERATIONS"), CultureInfo.InvariantCulture, out var n) ? n : 50;
        using var dir = new TempDirectory("attest-crash");
        var db = dir.Combine("ledger.db");
        var signer = new Ed25519NoteSigner("attest.test/crash", Ed25519.GenerateSeed());
        var keyFile = dir.Combine("key.txt");
        await File.WriteAllTextAsync(keyFile, signer.ToPrivateKeyString());
        var random = new Random(6);
        var acknowledged = new Dictionary<long, (int Run, int Line)>();
        var killedWithAcks = 0;

        for (var run = 0; run < iterations; run++)
        {
            using var child = Process.Start(AttestCli.StartInfo("ledger", "append", "--db", db, "--key", keyFile, "--jsonl", "-"))!;
            _ = child.StandardError.ReadToEndAsync();
            var acks = new List<(long Index, int Line)>();
            var firstAck = new TaskCompletionSource();
            var reading = Task.Run(async () =>
            {
                while (await child.StandardOutput.ReadLineAsync() is { } line)
                {
                    var parts = line.Split('\t');
                    lock (acks) acks.Add((long.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture)));
                    firstAck.TrySetResult();
                }
            });
            var runNumber = run;
            var feeding = Task.Run(async () =>
            {
                try
                {
                    for (var line = 1; line <= 200_000; line++)
                        await child.StandardInput.WriteLineAsync($$"""{"run":{{runNumber}},"line":{{line}}}""");
                }
                catch (IOException)
                {
                    // The child was killed mid-write.
                }
            });
            await Task.WhenAny(firstAck.Task, Task.Delay(TimeSpan.FromSeconds(20)));
            await Task.Delay(random.Next(0, 300));
            child.Kill(entireProcessTree: true); // SIGKILL: no cleanup, no final checkpoint
            await child.WaitForExitAsync();
            await reading;
            await feeding;
            lock (acks)
            {
                if (acks.Count > 0) killedWithAcks++;
                foreach (var (index, line) in acks) acknowledged.Add(index, (runNumber, line));
            }
        }

        // Every acknowledged entry is there, at its index, with the content that was acknowledged.
        await using (var store = await SqliteLedgerStore.OpenAsync(db))
        {
            var size = await store.GetSizeAsync();
            await foreach (var row in store.ReadEntriesAsync(0, size))
            {
                if (!acknowledged.Remove(row.Index, out var expected)) continue;
                Assert.True(LedgerEntryCodec.TryParse(row.Body, out var entry, out _));
                var details = entry.Entry.Details!.Value;
                Assert.Equal(expected, (details.GetProperty("run").GetInt32(), details.GetProperty("line").GetInt32()));
            }
            Assert.Empty(acknowledged);
            var report = await LedgerAuditor.AuditAsync(store, new LedgerAuditOptions("attest.test/crash", [signer.VerifierKey]));
            Assert.True(report.IsValid, string.Join("; ", report.Findings));
        }
        Assert.True(killedWithAcks >= iterations / 2, $"only {killedWithAcks} of {iterations} runs were killed after acknowledging appends");

        // Appending resumes on the crashed file, and the new checkpoint is consistent with all earlier ones.
        await using (var store = await SqliteLedgerStore.OpenAsync(db))
        await using (var ledger = await AuditLedger.OpenAsync(store, new AuditLedgerOptions { Origin = "attest.test/crash" }, [signer], TimeProvider.System))
        {
            var next = await ledger.AppendAsync(LedgerEntry.OperatorNote(JsonDocument.Parse("""{"after":"crashes"}""").RootElement));
            var checkpoint = await ledger.CheckpointAsync();
            Assert.Equal(next + 1, checkpoint!.Size);
            var report = await LedgerAuditor.AuditAsync(store, new LedgerAuditOptions("attest.test/crash", [signer.VerifierKey]));
            Assert.True(report.IsValid, string.Join("; ", report.Findings));
            Assert.Equal(checkpoint.Size, report.VerifiedCheckpointSize);
        }
    }
}
