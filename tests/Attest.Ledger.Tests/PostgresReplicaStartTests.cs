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
}
