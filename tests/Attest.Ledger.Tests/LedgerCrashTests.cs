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
        using var dir = new TempDirectory("attest-crash");
        var db = dir.Combine("ledger.db");
        await CrashHarness.RunAsync(dir, ["--db", db], environment: [], async () => await SqliteLedgerStore.OpenAsync(db),
            CrashHarness.Iterations(defaultCount: 50));
    }
}

/// <summary>Kills <c>attest ledger append</c> at random moments under load, then checks what it acknowledged.</summary>
internal static class CrashHarness
{
    private const string Origin = "attest.test/crash";

    public static int Iterations(int defaultCount) =>
        int.TryParse(Environment.GetEnvironmentVariable("ATTEST_CRASH_ITERATIONS"), CultureInfo.InvariantCulture, out var n) ? n : defaultCount;

    /// <param name="storeArguments">How the child finds the ledger (<c>--db FILE</c>; nothing when the environment names it).</param>
    /// <param name="environment">Extra environment for the child (the PostgreSQL connection string, kept off its command line).</param>
    /// <param name="openStore">Opens the same ledger in this process, for the checks.</param>
    public static async Task RunAsync(TempDirectory dir, string[] storeArguments, Dictionary<string, string> environment,
        Func<Task<ILedgerStore>> openStore, int iterations)
    {
        var signer = new Ed25519NoteSigner(Origin, Ed25519.GenerateSeed());
        var keyFile = dir.Combine("key.txt");
        await File.WriteAllTextAsync(keyFile, signer.ToPrivateKeyString());
        var random = new Random(6);
        var acknowledged = new Dictionary<long, (int Run, int Line)>();
        var killedWithAcks = 0;

        for (var run = 0; run < iterations; run++)
        {
            var start = AttestCli.StartInfo(["ledger", "append", .. storeArguments, "--key", keyFile, "--jsonl", "-"]);
            foreach (var (name, value) in environment) start.Environment[name] = value;
            using var child = Process.Start(start)!;
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
        var acknowledgedCount = acknowledged.Count;
        await using (var store = await openStore())
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
            var report = await LedgerAuditor.AuditAsync(store, new LedgerAuditOptions(Origin, [signer.VerifierKey]));
            Assert.True(report.IsValid, string.Join("; ", report.Findings));
        }
        Assert.True(killedWithAcks >= iterations / 2, $"only {killedWithAcks} of {iterations} runs were killed after acknowledging appends");
        Assert.True(acknowledgedCount > 0);

        // Appending resumes on the crashed log, and the new checkpoint is consistent with all earlier ones.
        await using (var store = await openStore())
        await using (var ledger = await AuditLedger.OpenAsync(store, new AuditLedgerOptions { Origin = Origin }, [signer], TimeProvider.System))
        {
            var next = await ledger.AppendAsync(LedgerEntry.OperatorNote(JsonDocument.Parse("""{"after":"crashes"}""").RootElement));
            var checkpoint = await ledger.CheckpointAsync();
            Assert.Equal(next + 1, checkpoint!.Size);
            var report = await LedgerAuditor.AuditAsync(store, new LedgerAuditOptions(Origin, [signer.VerifierKey]));
            Assert.True(report.IsValid, string.Join("; ", report.Findings));
            Assert.Equal(checkpoint.Size, report.VerifiedCheckpointSize);
        }
    }
}
