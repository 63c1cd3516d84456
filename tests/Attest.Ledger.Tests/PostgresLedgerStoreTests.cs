using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Dapper;
using Attest.Testing;
using Npgsql;

namespace Attest.Ledger.Tests;

/// <summary>The real PostgreSQL server of the test rig, shared by the ledger's PostgreSQL tests.</summary>
[CollectionDefinition(Name)]
public sealed class LedgerPostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "ledger-postgres";
}

/// <summary>Fresh databases on the shared server, so tests never see each other's logs.</summary>
internal static class LedgerDatabases
{
    public static async Task<string> CreateAsync(PostgresFixture postgres)
    {
        var server = new NpgsqlConnectionStringBuilder(postgres.ConnectionStringFor("postgres"));
        var name = "ledger_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync($"CREATE DATABASE {name}");
        }
        server.Database = name;
        return server.ConnectionString;
    }
}

[Collection(LedgerPostgresCollection.Name)]
public class PostgresLedgerStoreTests(PostgresFixture postgres)
{
    private const string Origin = "attest.test/pg";
    private readonly Ed25519NoteSigner _signer = new(Origin, Ed25519.GenerateSeed());

    private Task<string> CreateDatabaseAsync() => LedgerDatabases.CreateAsync(postgres);

    private async Task<AuditLedger> OpenLedgerAsync(string connectionString) =>
        await AuditLedger.OpenAsync(await PostgresLedgerStore.OpenAsync(connectionString),
            new AuditLedgerOptions { Origin = Origin, CheckpointEveryEntries = 1_000_000, CheckpointInterval = TimeSpan.FromHours(1) },
            [_signer], TimeProvider.System);

    [Fact]
    public async Task Appends_proofs_and_checkpoints_verify_on_postgres()
    {
        var db = await CreateDatabaseAsync();
        await using var ledger = await OpenLedgerAsync(db);
        var indexes = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => ledger.AppendAsync(LedgerFixture.Decision(i))));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), indexes.Order());
        var first = (await ledger.CheckpointAsync())!;
        await LedgerFixture.AppendSequentiallyAsync(ledger, 33, offset: 300);
        var second = (await ledger.CheckpointAsync())!;

        var rows = await ledger.Store.ReadEntriesAsync(0, second.Size).ToListAsync();
        foreach (var index in new[] { 0, 1, 150, 299, 332 })
        {
            var proof = await ledger.GetInclusionProofAsync(index, second.Size);
            Assert.True(proof.Verify(MerkleHash.Leaf(rows[index].Body), second.RootHash).IsValid);
        }
        Assert.True((await ledger.GetConsistencyProofAsync(first.Size, second.Size)).Verify(first.RootHash, second.RootHash).IsValid);
        var report = await LedgerAuditor.AuditAsync(ledger.Store, new LedgerAuditOptions(Origin, [_signer.VerifierKey]));
        Assert.True(report.IsValid, string.Join("; ", report.Findings));
        Assert.Equal(333, report.VerifiedCheckpointSize);
        Assert.Equal(11, (await ledger.Store.QueryAsync(new LedgerQuery { Verdict = "deny", Limit = 11 })).Count);
        var denies = await ledger.Store.QueryAsync(new LedgerQuery { Verdict = "deny", Limit = 1000 });
        var newest = await ledger.Store.QueryAsync(new LedgerQuery { Verdict = "deny", NewestFirst = true, BeforeIndex = denies[^1].Index, Limit = 3 });
        Assert.Equal(denies.Select(e => e.Index).Reverse().Skip(1).Take(3), newest.Select(e => e.Index));
    }

    [Fact]
    public async Task Two_replicas_append_to_one_log_without_forking_it()
    {
        var db = await CreateDatabaseAsync();
        await using var a = await OpenLedgerAsync(db);
        await using var b = await OpenLedgerAsync(db);
        var indexes = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => (i % 2 == 0 ? a : b).AppendAsync(LedgerFixture.Decision(i))));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), indexes.Order());
        await a.CheckpointAsync();
        await b.CheckpointAsync();
        var report = await LedgerAuditor.AuditAsync(a.Store, new LedgerAuditOptions(Origin, [_signer.VerifierKey]));
        Assert.True(report.IsValid, string.Join("; ", report.Findings));
        Assert.Equal(200, report.VerifiedCheckpointSize);
    }

    [Fact]
    public async Task Append_only_triggers_fire_even_with_session_replication_role_replica()
    {
        var db = await CreateDatabaseAsync();
        await using (var ledger = await OpenLedgerAsync(db))
        {
            await LedgerFixture.AppendSequentiallyAsync(ledger, 3);
            await ledger.CheckpointAsync();
        }
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        // A superuser's replica mode silences ordinary triggers; ENABLE ALWAYS ones still fire.
        await connection.ExecuteAsync("SET session_replication_role = replica");
        foreach (var sql in new[]
                 {
                     "UPDATE entries SET verdict = 'allow' WHERE idx = 0", "DELETE FROM entries WHERE idx = 2", "TRUNCATE entries",
                     "DELETE FROM checkpoints", "TRUNCATE checkpoints", "UPDATE checkpoint_head SET size = 0",
                 })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(sql));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }
        Assert.Equal(3L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM entries"));
    }

    [Fact]
    public async Task Audit_names_the_row_an_owner_changed_with_triggers_disabled()
    {
        var db = await CreateDatabaseAsync();
        await using (var ledger = await OpenLedgerAsync(db))
        {
            await LedgerFixture.AppendSequentiallyAsync(ledger, 12);
            await ledger.CheckpointAsync();
        }
        await using (var connection = new NpgsqlConnection(db))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync("ALTER TABLE entries DISABLE TRIGGER ALL; UPDATE entries SET body = body || '\\x20'::bytea WHERE idx = 8");
        }
        await using var store = await PostgresLedgerStore.OpenAsync(db);
        var report = await LedgerAuditor.AuditAsync(store, new LedgerAuditOptions(Origin, [_signer.VerifierKey]));
        Assert.Equal(8, report.FirstBadIndex);
        Assert.Contains(report.Findings, f => f.Code == LedgerCodes.EntryLeafHashMismatch);
    }
}
