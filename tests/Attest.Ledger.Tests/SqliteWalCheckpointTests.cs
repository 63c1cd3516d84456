namespace Attest.Ledger.Tests;

/// <summary>The SQLite ledger's write-ahead log under continuous appends, on a real file: checkpoints run in the
/// background and keep the WAL small, and without any checkpoint it would not be.</summary>
public class SqliteWalCheckpointTests
{
    // Admission entries paced like webhook traffic (8 callers, a millisecond apart): 3,000 appends write about 25 MB
    // of WAL frames when nothing copies them into the database file.
    private const int Callers = 8;
    private const int AppendsPerCaller = 375;
    private const long WalBound = 8 * 1024 * 1024;

    /// <summary>The writer itself never checkpoints in these runs unless a test says so.</summary>
    private const int WriterNeverCheckpoints = 1_000_000;

    [Fact]
    public async Task Background_checkpoints_keep_the_wal_bounded_under_continuous_appends()
    {
        var run = await AppendContinuouslyAsync(new SqliteWalOptions
        {
            BackgroundCheckpointDelay = TimeSpan.FromMilliseconds(10),
            WriterCheckpointPages = WriterNeverCheckpoints,
        });

        Assert.True(run.BackgroundCheckpoints > 0, "the background checkpointer never ran");
        Assert.True(run.WalRestarts >= 2, $"the WAL restarted {run.WalRestarts} times");
        Assert.True(run.WalBytes < WalBound, $"WAL grew to {run.WalBytes} bytes: {run}");
        Assert.True(run.Audit.IsValid, string.Join("; ", run.Audit.Findings));
        Assert.Equal(Callers * AppendsPerCaller, run.Audit.EntriesChecked);
    }

    [Fact]
    public async Task When_passive_checkpoints_miss_the_moment_one_that_holds_commits_back_starts_the_wal_over()
    {
        // Appends as fast as the sequencer takes them: each commit begins before a passive checkpoint has copied the
        // one before, so the WAL does not start over by passive checkpoints alone (a slow disk at a steady rate does
        // the same to the paced run above). 6,000 appends write 50-70 MB of WAL frames when it never starts over; the
        // bound allows for the two wake-ups past the threshold the checkpointer waits for, at this rate.
        const int appendsPerCaller = 750;
        var run = await AppendContinuouslyAsync(new SqliteWalOptions
        {
            BackgroundCheckpointDelay = TimeSpan.FromMilliseconds(10),
            WriterCheckpointPages = WriterNeverCheckpoints,
            CatchUpRestartPages = 200,
        }, paced: false, appendsPerCaller);

        Assert.True(run.HeldBackCheckpoints > 0, $"no checkpoint held commits back: {run}");
        Assert.True(run.WalRestarts >= 1, $"the WAL restarted {run.WalRestarts} times");
        Assert.True(run.WalBytes < 2 * WalBound, $"WAL grew to {run.WalBytes} bytes: {run}");
        Assert.True(run.Audit.IsValid, string.Join("; ", run.Audit.Findings));
        Assert.Equal(Callers * appendsPerCaller, run.Audit.EntriesChecked);
    }

    [Fact]
    public async Task Without_any_checkpoint_the_same_appends_grow_the_wal_past_the_bound()
    {
        // The control for the test above: the workload is large enough that the bound means something.
        var run = await AppendContinuouslyAsync(new SqliteWalOptions
        {
            BackgroundCheckpointDelay = null,
            WriterCheckpointPages = WriterNeverCheckpoints,
        });

        Assert.Equal(0, run.BackgroundCheckpoints);
        Assert.Equal(0u, run.WalRestarts);
        Assert.True(run.WalBytes > WalBound, $"WAL only grew to {run.WalBytes} bytes");
        Assert.True(run.Audit.IsValid, string.Join("; ", run.Audit.Findings));
    }

    [Fact]
    public async Task The_writer_still_bounds_the_wal_when_background_checkpoints_are_off()
    {
        // The backstop that holds if the background checkpointer falls behind: SQLite's own, inside a commit.
        var run = await AppendContinuouslyAsync(new SqliteWalOptions
        {
            BackgroundCheckpointDelay = null,
            WriterCheckpointPages = 200,
        });

        Assert.True(run.WalBytes < WalBound, $"WAL grew to {run.WalBytes} bytes: {run}");
        Assert.True(run.Audit.IsValid, string.Join("; ", run.Audit.Findings));
        Assert.Equal(Callers * AppendsPerCaller, run.Audit.EntriesChecked);
    }

    [Fact]
    public async Task A_failing_background_checkpoint_is_reported_and_the_writer_goes_on()
    {
        await using var fx = new LedgerFixture();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        await using var store = await SqliteLedgerStore.OpenAsync(fx.Path, new SqliteWalOptions { BackgroundCheckpointDelay = TimeSpan.FromSeconds(1) });
        store.WalCheckpointFailed = failures.Enqueue;
        await using var ledger = await AuditLedger.OpenAsync(store, new AuditLedgerOptions { Origin = LedgerFixture.Origin }, [fx.Signer], TimeProvider.System);
        await ledger.AppendAsync(LedgerFixture.Decision(0));
        // Before the checkpointer opens its connection, the database path becomes something SQLite cannot open (a
        // directory; pooled connections dropped): the writer keeps the file it has open, the checkpointer cannot start.
        File.Delete(fx.Path);
        Directory.CreateDirectory(fx.Path);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (failures.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.False(failures.IsEmpty, "the failed checkpoint was not reported");
        Assert.IsType<Microsoft.Data.Sqlite.SqliteException>(failures.First());
        await ledger.AppendAsync(LedgerFixture.Decision(1)); // the writer's commits do not depend on the checkpointer
    }

    private sealed record Run(long WalBytes, uint WalRestarts, long BackgroundCheckpoints, long HeldBackCheckpoints, LedgerAuditReport Audit);

    private static async Task<Run> AppendContinuouslyAsync(SqliteWalOptions wal, bool paced = true, int appendsPerCaller = AppendsPerCaller)
    {
        await using var fx = new LedgerFixture();
        long walBytes, checkpoints, heldBackCheckpoints;
        uint restarts;
        await using (var store = await SqliteLedgerStore.OpenAsync(fx.Path, wal))
        {
            await using (var ledger = await AuditLedger.OpenAsync(store, new AuditLedgerOptions { Origin = LedgerFixture.Origin },
                             [fx.Signer], TimeProvider.System))
            {
                await Task.WhenAll(Enumerable.Range(0, Callers).Select(async caller =>
                {
                    for (var i = 0; i < appendsPerCaller; i++)
                    {
                        await ledger.AppendAsync(LedgerFixture.Decision(caller * appendsPerCaller + i));
                        if (paced) await Task.Delay(1);
                    }
                }));
                await ledger.CheckpointAsync();
            }
            // Measured while the store is open: closing the last connection checkpoints and removes the WAL. A WAL
            // that restarts is overwritten from its start, so its length is the most it ever held.
            walBytes = new FileInfo(fx.Path + "-wal").Length;
            restarts = WalCheckpointSequence(fx.Path + "-wal");
            checkpoints = store.WalCheckpoints;
            heldBackCheckpoints = store.HeldBackWalCheckpoints;
        }
        return new Run(walBytes, restarts, checkpoints, heldBackCheckpoints, await fx.AuditAsync());
    }

    /// <summary>The WAL header's checkpoint sequence number (bytes 12-15, big-endian; sqlite.org/fileformat2.html#walformat):
    /// SQLite increments it each time a writer starts the WAL over after a complete checkpoint.</summary>
    private static uint WalCheckpointSequence(string walPath)
    {
        using var file = new FileStream(walPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Span<byte> header = stackalloc byte[32];
        file.ReadExactly(header);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header[12..16]);
    }
}
