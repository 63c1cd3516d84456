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
        var options = new AuditLedgerOptions { Origin = Origin, CheckpointEveryEntries = 1, CheckpointInterval = TimeSpan.FromMilliseconds(1) };
        await using var writerStore = await PostgresLedgerStore.OpenAsync(db);
        await using var writer = await AuditLedger.OpenAsync(writerStore, options, [signer], TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var appending = Task.Run(async () =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested) await writer.AppendWithCheckpointAsync(LedgerFixture.Decision(i++));
        });
        try
        {
            for (var open = 0; open < 40; open++)
            {
                await using var store = await PostgresLedgerStore.OpenAsync(db);
                await using var replica = await AuditLedger.OpenAsync(store, options, [signer], TimeProvider.System);
                await replica.AppendAsync(LedgerFixture.Decision(100_000 + open));
            }
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
}
