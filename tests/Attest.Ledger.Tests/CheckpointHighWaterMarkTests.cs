namespace Attest.Ledger.Tests;

/// <summary>
/// The checkpoint high-water mark on a real SQLite ledger file: what it refuses (entries removed below the checkpoint
/// it names), what it must not refuse (a checkpoint row lost in a crash while the entries and the mark survived), and
/// when a written mark reaches the disk.
/// </summary>
public sealed class CheckpointHighWaterMarkTests
{
    [Fact]
    public async Task A_checkpoint_row_lost_in_a_crash_that_the_mark_survived_is_signed_again_not_refused()
    {
        await using var fx = new LedgerFixture();
        var mark = new CheckpointHighWaterMark(fx.Combine("keys/ledger-checkpoint.note"));
        await using (var ledger = await fx.OpenAsync(highWaterMark: mark))
            for (var i = 0; i < 3; i++) await ledger.AppendWithCheckpointAsync(LedgerFixture.Decision(i));
        Assert.Equal(3, MarkedSize(mark));

        // Checkpoint rows are committed without an fsync of their own: a machine crash can lose the newest ones while
        // the entries (fsynced) and the mark survive. The store then ends its signed history at size 2.
        await fx.TamperAsync("""
            DELETE FROM checkpoints WHERE size > 2;
            UPDATE checkpoint_head SET size = 2, note = (SELECT note FROM checkpoints WHERE size = 2) WHERE id = 1;
            """);

        await using (var reopened = await fx.OpenAsync(highWaterMark: mark))
        {
            var (entry, checkpoint) = await reopened.AppendWithCheckpointAsync(LedgerFixture.Decision(3));
            Assert.Equal(3, entry.Index);
            Assert.Equal(4, checkpoint!.Size);
        }
        Assert.Equal(4, MarkedSize(mark));
        Assert.True((await fx.AuditAsync()).IsValid);
    }

    [Fact]
    public async Task Entries_removed_below_the_mark_are_refused_even_when_the_checkpoint_rows_agree_with_them()
    {
        await using var fx = new LedgerFixture();
        var mark = new CheckpointHighWaterMark(fx.Combine("keys/ledger-checkpoint.note"));
        await using (var ledger = await fx.OpenAsync(highWaterMark: mark))
            for (var i = 0; i < 3; i++) await ledger.AppendWithCheckpointAsync(LedgerFixture.Decision(i));

        await fx.TamperAsync("""
            DELETE FROM entries WHERE idx >= 2;
            DELETE FROM checkpoints WHERE size > 2;
            UPDATE checkpoint_head SET size = 2, note = (SELECT note FROM checkpoints WHERE size = 2) WHERE id = 1;
            """);

        var refused = await Assert.ThrowsAsync<LedgerCorruptException>(async () => await (await fx.OpenAsync(highWaterMark: mark)).DisposeAsync());
        Assert.Contains(LedgerCodes.CheckpointRollback, refused.Message, StringComparison.Ordinal);
        Assert.Contains("rolled back", refused.Message, StringComparison.Ordinal);
        Assert.Contains("size 3", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_written_mark_is_read_back_at_once_and_reaches_the_disk_within_its_sync_delay()
    {
        await using var fx = new LedgerFixture();
        var mark = new CheckpointHighWaterMark(fx.Combine("keys/ledger-checkpoint.note"), syncDelay: TimeSpan.FromMilliseconds(50));
        Assert.True(mark.Synced);
        mark.Write("attest.test/ledger\n1\n" + Convert.ToBase64String(new byte[32]) + "\n");
        Assert.Equal(1, MarkedSize(mark));
        Assert.False(mark.Synced);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!mark.Synced && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.True(mark.Synced);

        // A ledger that stops flushes its last mark then, whatever the delay.
        var slow = new CheckpointHighWaterMark(fx.Combine("keys/ledger-checkpoint-2.note"), syncDelay: TimeSpan.FromHours(1));
        await using (var ledger = await fx.OpenAsync(highWaterMark: slow))
        {
            await ledger.AppendWithCheckpointAsync(LedgerFixture.Decision(0));
            Assert.False(slow.Synced);
        }
        Assert.True(slow.Synced);
    }

    private static long MarkedSize(CheckpointHighWaterMark mark)
    {
        var note = mark.ReadNote();
        Assert.NotNull(note);
        return long.Parse(note.Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
