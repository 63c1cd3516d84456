using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Testing;

namespace Attest.Ledger.Tests;

/// <summary>A replica opening the shared log while another appends and publishes checkpoints (as replicas starting or
/// restarting together do) loads a consistent state: it reads the checkpoint before the size, never after.</summary>
[Collection(LedgerPostgresCollection.Name)]
public class PostgresReplicaStartTests(PostgresFixture postgres)
{
    private const string Origin = "attest.test/replicas";

    [Fact]
    public async Task Replica_opens_while_another_appends_and_checkpoints()
    {
        var db = await LedgerDatabases.CreateAsync(postgres);
        var signer = new Ed25519NoteSigner(Origin, Ed25519.GenerateSeed());
        await WhileAnotherReplicaAppendsAsync(db, signer, async options =>
        {
            for (var open = 0; open < 40; open++)
            {
                await using var store = await PostgresLedgerStore.OpenAsync(db);
                await using var replica = await AuditLedger.OpenAsync(store, options, [signer], TimeProvider.System);
                await replica.AppendAsync(LedgerFixture.Decision(100_000 + open));
            }
        });
    }

    [Fact]
    public async Task Audits_while_another_replica_appends_and_checkpoints_find_nothing()
    {
        var db = await LedgerDatabases.CreateAsync(postgres);
        var signer = new Ed25519NoteSigner(Origin, Ed25519.GenerateSeed());
        await WhileAnotherReplicaAppendsAsync(db, signer, async _ =>
        {
            // The checkpoint head moves while each audit reads the checkpoints: that is progress, not a mismatch.
            await using var auditorStore = await PostgresLedgerStore.OpenAsync(db);
            for (var audit = 0; audit < 30; audit++)
            {
                var report = await LedgerAuditor.AuditAsync(auditorStore, new LedgerAuditOptions(Origin, [signer.VerifierKey]));
                Assert.True(report.IsValid, string.Join("; ", report.Findings));
            }
        });
    }

    /// <summary>Runs <paramref name="during"/> while a writer appends with a checkpoint after every entry (its first
    /// entry and checkpoint are in before); <paramref name="during"/> gets the ledger options the writer uses.</summary>
    private static async Task WhileAnotherReplicaAppendsAsync(string db, NoteSigner signer, Func<AuditLedgerOptions, Task> during)
    {
        var options = new AuditLedgerOptions { Origin = Origin, CheckpointEveryEntries = 1, CheckpointInterval = TimeSpan.FromMilliseconds(1) };
        await using var writerStore = await PostgresLedgerStore.OpenAsync(db);
        await using var writer = await AuditLedger.OpenAsync(writerStore, options, [signer], TimeProvider.System);
        await writer.AppendWithCheckpointAsync(LedgerFixture.Decision(0));
        using var stop = new CancellationTokenSource();
        var appending = Task.Run(async () =>
        {
            var i = 1;
            while (!stop.IsCancellationRequested) await writer.AppendWithCheckpointAsync(LedgerFixture.Decision(i++));
        });
        try
        {
            await during(options);
        }
        finally
        {
            await stop.CancelAsync();
            await appending;
        }
    }

    [Fact]
    public async Task Three_replicas_writing_at_once_each_get_turns_and_none_fails()
    {
        var db = await LedgerDatabases.CreateAsync(postgres);
        var signer = new Ed25519NoteSigner(Origin, Ed25519.GenerateSeed());
        var options = new AuditLedgerOptions { Origin = Origin, CheckpointEveryEntries = 64 };
        var stores = new List<PostgresLedgerStore>();
        var ledgers = new List<AuditLedger>();
        for (var r = 0; r < 3; r++)
        {
            stores.Add(await PostgresLedgerStore.OpenAsync(db));
            ledgers.Add(await AuditLedger.OpenAsync(stores[^1], options, [signer], TimeProvider.System));
        }
        try
        {
            // Each replica: 8 writers, each appending one entry after another (a busy replica used to starve the others).
            var indexes = await Task.WhenAll(ledgers.SelectMany((ledger, r) => Enumerable.Range(0, 8).Select(async w =>
            {
                var mine = new List<long>();
                for (var i = 0; i < 40; i++) mine.Add(await ledger.AppendAsync(LedgerFixture.Decision(r * 10_000 + w * 100 + i)));
                return mine;
            })));
            var all = indexes.SelectMany(i => i).Order().ToList();
            Assert.Equal(Enumerable.Range(0, 3 * 8 * 40).Select(i => (long)i), all);
            await ledgers[0].CheckpointAsync();
            var report = await LedgerAuditor.AuditAsync(stores[0], new LedgerAuditOptions(Origin, [signer.VerifierKey]));
            Assert.True(report.IsValid, string.Join("; ", report.Findings));
        }
        finally
        {
            foreach (var ledger in ledgers) await ledger.DisposeAsync();
            foreach (var store in stores) await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_replica_whose_own_high_water_mark_is_behind_the_shared_log_opens_and_raises_it()
    {
        var db = await LedgerDatabases.CreateAsync(postgres);
        var signer = new Ed25519NoteSigner(Origin, Ed25519.GenerateSeed());
        using var first = new TempDirectory("attest-mark");
        using var second = new TempDirectory("attest-mark");
        AuditLedgerOptions Options(TempDirectory data) => new()
        {
            Origin = Origin,
            HighWaterMark = new CheckpointHighWaterMark(data.Combine("keys", "ledger-checkpoint.note")),
        };

        // Replica A signs a checkpoint of size 3 and stops; replica B then takes the log to size 8.
        await using (var store = await PostgresLedgerStore.OpenAsync(db))
        await using (var a = await AuditLedger.OpenAsync(store, Options(first), [signer], TimeProvider.System))
            for (var i = 0; i < 3; i++) await a.AppendWithCheckpointAsync(LedgerFixture.Decision(i));
        await using (var store = await PostgresLedgerStore.OpenAsync(db))
        await using (var b = await AuditLedger.OpenAsync(store, Options(second), [signer], TimeProvider.System))
            for (var i = 3; i < 8; i++) await b.AppendWithCheckpointAsync(LedgerFixture.Decision(i));
        Assert.Equal(3, MarkedSize(first));
        Assert.Equal(8, MarkedSize(second));

        // A's mark is below the shared log's checkpoint, which extends it: A opens (a failover is not a rollback), and
        // its mark moves up to what it verified.
        await using (var store = await PostgresLedgerStore.OpenAsync(db))
        await using (var a = await AuditLedger.OpenAsync(store, Options(first), [signer], TimeProvider.System))
        {
            Assert.Equal(8, MarkedSize(first));
            Assert.Equal(8, (await a.AppendWithCheckpointAsync(LedgerFixture.Decision(8))).Entry.Index);
        }
        Assert.Equal(9, MarkedSize(first));
    }

    [Fact]
    public async Task Replicas_sharing_one_data_directory_publish_checkpoints_at_once_without_failing()
    {
        var db = await LedgerDatabases.CreateAsync(postgres);
        var signer = new Ed25519NoteSigner(Origin, Ed25519.GenerateSeed());
        using var data = new TempDirectory("attest-mark");
        var options = new AuditLedgerOptions
        {
            Origin = Origin,
            HighWaterMark = new CheckpointHighWaterMark(data.Combine("keys", "ledger-checkpoint.note")),
        };
        var stores = new List<PostgresLedgerStore>();
        var ledgers = new List<AuditLedger>();
        try
        {
            for (var r = 0; r < 2; r++)
            {
                stores.Add(await PostgresLedgerStore.OpenAsync(db));
                ledgers.Add(await AuditLedger.OpenAsync(stores[^1], options, [signer], TimeProvider.System));
            }
            // Every append asks for a checkpoint: both replicas write the one mark file over and over, at once.
            await Task.WhenAll(ledgers.SelectMany((ledger, r) => Enumerable.Range(0, 4).Select(async w =>
            {
                for (var i = 0; i < 15; i++) await ledger.AppendWithCheckpointAsync(LedgerFixture.Decision(r * 1000 + w * 100 + i));
            })));
        }
        finally
        {
            foreach (var ledger in ledgers) await ledger.DisposeAsync();
            foreach (var store in stores) await store.DisposeAsync();
        }
        // The mark is one whole checkpoint of this log, and a replica opens over it.
        Assert.InRange(MarkedSize(data), 1, 2 * 4 * 15);
        Assert.Empty(Directory.GetFiles(data.Combine("keys"), "*.tmp*"));
        await using var reopenedStore = await PostgresLedgerStore.OpenAsync(db);
        await using var reopened = await AuditLedger.OpenAsync(reopenedStore, options, [signer], TimeProvider.System);
        Assert.Equal(2 * 4 * 15, await reopenedStore.GetSizeAsync());
    }

    private static long MarkedSize(TempDirectory data)
    {
        var note = new CheckpointHighWaterMark(data.Combine("keys", "ledger-checkpoint.note")).ReadNote();
        Assert.NotNull(note);
        return long.Parse(note.Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
