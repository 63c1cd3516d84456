using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Attest.Ledger.Tests;

/// <summary>Pushback, as Tessera's ErrPushback: when the sequencer cannot keep up, a full queue refuses the next append
/// at once, so its caller can answer its own caller now instead of waiting out a deadline.</summary>
public sealed class LedgerPushbackTests
{
    [Fact]
    public async Task A_full_queue_refuses_the_next_append_at_once_and_the_accepted_ones_complete()
    {
        await using var fx = new LedgerFixture();
        await using var ledger = await fx.OpenAsync(maxPendingAppends: 2);
        await ledger.AppendAsync(LedgerFixture.Decision(0));

        // Another process holds SQLite's write lock, so the sequencer's next commit waits for it (busy_timeout).
        await using var blocker = new SqliteConnection($"Data Source={fx.Path}");
        await blocker.OpenAsync();
        await using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }

        var accepted = new List<Task<long>>();
        LedgerBusyException? refused = null;
        var refusedIn = TimeSpan.Zero;
        for (var i = 1; i <= 10 && refused is null; i++)
        {
            var append = ledger.AppendAsync(LedgerFixture.Decision(i));
            var clock = Stopwatch.StartNew();
            if (i == 1)
            {
                // The first becomes the blocked batch on its own: on a loaded machine the sequencer may not run before
                // the next append arrives, and would then take both into its batch.
                var pickedUp = Stopwatch.StartNew();
                while (ledger.QueuedWork > 0 && pickedUp.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(5);
                Assert.Equal(0, ledger.QueuedWork);
            }
            try
            {
                await append.WaitAsync(TimeSpan.FromMilliseconds(150));
                Assert.Fail("an append completed while the ledger's database was locked");
            }
            catch (TimeoutException)
            {
                accepted.Add(append); // queued (or in the blocked batch): it waits for the lock
            }
            catch (LedgerBusyException e)
            {
                refused = e;
                refusedIn = clock.Elapsed;
            }
        }

        Assert.NotNull(refused);
        Assert.True(refusedIn < TimeSpan.FromMilliseconds(100), $"the refusal took {refusedIn.TotalMilliseconds:0} ms");
        // The blocked batch (the first append) plus the queue's capacity (two) were accepted before the refusal.
        Assert.Equal(3, accepted.Count);

        await using (var rollback = blocker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        var indexes = await Task.WhenAll(accepted).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(1, accepted.Count).Select(i => (long)i), indexes.Order());
        Assert.Equal(1 + accepted.Count, await ledger.AppendAsync(LedgerFixture.Decision(99)));
    }
}
