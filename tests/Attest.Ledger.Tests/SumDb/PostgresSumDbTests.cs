using Attest.Ledger.SumDb;
using Attest.Testing;

namespace Attest.Ledger.Tests.SumDb;

/// <summary>The checksum database's log on the real PostgreSQL server of the test rig, alone and shared by replicas.</summary>
[Collection(LedgerPostgresCollection.Name)]
public sealed class PostgresSumDbTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Adds_once_and_the_first_record_is_final_on_postgres() =>
        await SumDbContract.AddsOnceAndTheFirstIsFinalAsync(await PostgresSumDbStore.OpenAsync(await LedgerDatabases.CreateAsync(postgres)));

    [Fact]
    public async Task Serves_the_hash_and_data_tiles_of_the_signed_tree_on_postgres() =>
        await SumDbContract.ServesTilesOfTheSignedTreeAsync(await PostgresSumDbStore.OpenAsync(await LedgerDatabases.CreateAsync(postgres)));

    [Fact]
    public async Task Replicas_adding_at_once_keep_one_record_per_version_and_one_consistent_tree()
    {
        var db = await LedgerDatabases.CreateAsync(postgres);
        var signer = SumDbContract.NewSigner(); // replicas share the database key
        await using var storeA = await PostgresSumDbStore.OpenAsync(db);
        await using var storeB = await PostgresSumDbStore.OpenAsync(db);
        await using var a = await SumDbLog.OpenAsync(storeA, signer, TimeProvider.System);
        await using var b = await SumDbLog.OpenAsync(storeB, signer, TimeProvider.System);

        // Each replica adds 15 versions of its own, and both race for the same 10 with different content.
        var work = new List<Task<SumDbAddResult>>();
        for (var i = 0; i < 15; i++)
        {
            var own = SumDbContract.Record(100 + i);
            var theirs = SumDbContract.Record(200 + i);
            work.Add(a.AddAsync(own.Path, own.Version, own.Text));
            work.Add(b.AddAsync(theirs.Path, theirs.Version, theirs.Text));
        }
        for (var i = 0; i < 10; i++)
        {
            var fromA = SumDbContract.Record(i, salt: "a");
            var fromB = SumDbContract.Record(i, salt: "b");
            work.Add(a.AddAsync(fromA.Path, fromA.Version, fromA.Text));
            work.Add(b.AddAsync(fromB.Path, fromB.Version, fromB.Text));
        }
        var results = await Task.WhenAll(work);

        Assert.Equal(40, await storeA.GetSizeAsync());
        Assert.Equal(40, results.Count(r => r.Outcome == SumDbAddOutcome.Added));
        Assert.Equal(10, results.Count(r => r.Outcome == SumDbAddOutcome.Conflict));
        // Every loser was told which record stands; every result's head covers its record.
        foreach (var r in results) Assert.True(r.Checkpoint.Size > r.Row.Index);
        var audit = await SumDbAuditor.AuditAsync(storeA, signer.VerifierKey);
        Assert.True(audit.IsValid, string.Join("; ", audit.Findings));
        Assert.Equal(40, audit.VerifiedCheckpointSize);
    }
}
