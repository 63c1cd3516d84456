using System.Text;
using Attest.Core.Transparency;
using Attest.Ledger.SumDb;
using Attest.Testing;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Attest.Ledger.Tests.SumDb;

/// <summary>The checksum database's log in a real SQLite file, beside the ledger's tables, and what its audit finds
/// when someone with the file rewrites it.</summary>
public sealed class SqliteSumDbTests : IDisposable
{
    private readonly TempDirectory _dir = new("attest-sumdb");

    private string DbPath => _dir.Combine("ledger.db");

    [Fact]
    public async Task Adds_once_and_the_first_record_is_final() =>
        await SumDbContract.AddsOnceAndTheFirstIsFinalAsync(await SqliteSumDbStore.OpenAsync(DbPath));

    [Fact]
    public async Task Serves_the_hash_and_data_tiles_of_the_signed_tree() =>
        await SumDbContract.ServesTilesOfTheSignedTreeAsync(await SqliteSumDbStore.OpenAsync(DbPath));

    [Fact]
    public async Task Lives_beside_the_ledger_in_one_file_without_touching_it()
    {
        var sumdbSigner = SumDbContract.NewSigner();
        await using (var ledger = await AuditLedger.OpenAsync(await SqliteLedgerStore.OpenAsync(DbPath),
                         new AuditLedgerOptions { Origin = "attest.test/ledger" }, [new Ed25519NoteSigner("attest.test/ledger", Attest.Core.Crypto.Ed25519.GenerateSeed())], TimeProvider.System))
        {
            await ledger.AppendAsync(LedgerFixture.Decision(1));
            await ledger.CheckpointAsync();
        }
        await using var store = await SqliteSumDbStore.OpenAsync(DbPath);
        await using var log = await SumDbLog.OpenAsync(store, sumdbSigner, TimeProvider.System);
        var (path, version, text) = SumDbContract.Record(1);
        await log.AddAsync(path, version, text);
        await using var ledgerStore = await SqliteLedgerStore.OpenAsync(DbPath);
        Assert.Equal(1, await ledgerStore.GetSizeAsync());
        Assert.Equal(1, await store.GetSizeAsync());
    }

    [Fact]
    public async Task Reopening_keeps_the_tree_and_signs_records_a_crash_left_unsigned()
    {
        var signer = SumDbContract.NewSigner();
        var texts = new List<byte[]>();
        await using (var store = await SqliteSumDbStore.OpenAsync(DbPath))
        await using (var log = await SumDbLog.OpenAsync(store, signer, TimeProvider.System))
        {
            for (var i = 0; i < 3; i++)
            {
                var (path, version, text) = SumDbContract.Record(i);
                await log.AddAsync(path, version, text);
                texts.Add(text);
            }
        }
        // A crash between a record's commit and its signed head: the row is durable, the head still says 3.
        await using (var store = await SqliteSumDbStore.OpenAsync(DbPath))
        {
            var range = new CompactRange();
            foreach (var t in texts) range.Append(MerkleHash.Leaf(t));
            var (path, version, text) = SumDbContract.Record(3);
            var leaf = MerkleHash.Leaf(text);
            var completed = new List<byte>();
            range.Append(leaf, (_, hash) => completed.AddRange(hash));
            await store.CommitAsync(3, [new SumDbRow(3, path, version, text, leaf, [.. completed])]);
            texts.Add(text);
            Assert.Equal(3, (await store.GetLatestCheckpointAsync())!.Size);
        }
        await using (var store = await SqliteSumDbStore.OpenAsync(DbPath))
        await using (var log = await SumDbLog.OpenAsync(store, signer, TimeProvider.System))
        {
            var head = await log.LatestAsync();
            Assert.Equal(4, head.Size);
            Assert.Equal(SumDbContract.Root(texts), head.RootHash);
            var (path, version, text) = SumDbContract.Record(4);
            Assert.Equal(4, (await log.AddAsync(path, version, text)).Row.Index);
        }
    }

    [Fact]
    public async Task Record_text_that_is_not_two_lines_of_go_sum_shape_is_refused()
    {
        await using var store = await SqliteSumDbStore.OpenAsync(DbPath);
        await using var log = await SumDbLog.OpenAsync(store, SumDbContract.NewSigner(), TimeProvider.System);
        foreach (var text in new[] { "a v1.0.0 h1:x", "a v1.0.0 h1:x\n\nb\n", "\n", "a\tb\n", "a\u0001\n", new string('x', SumDbLog.MaxRecordBytes) + "\n" })
            await Assert.ThrowsAsync<ArgumentException>(() => log.AddAsync("a.example/m", "v1.0.0", Encoding.UTF8.GetBytes(text)));
        await Assert.ThrowsAsync<ArgumentException>(() => log.AddAsync("a.example/m", "v1.0.0", [0xff, 0xfe, (byte)'\n']));
        Assert.Equal(0, await store.GetSizeAsync());
    }

    [Fact]
    public async Task A_head_not_signed_by_the_database_key_is_refused_at_open()
    {
        await using (var store = await SqliteSumDbStore.OpenAsync(DbPath))
        await using (await SumDbLog.OpenAsync(store, SumDbContract.NewSigner(), TimeProvider.System))
        {
        }
        await using var again = await SqliteSumDbStore.OpenAsync(DbPath);
        var e = await Assert.ThrowsAsync<LedgerCorruptException>(() => SumDbLog.OpenAsync(again, SumDbContract.NewSigner(), TimeProvider.System));
        Assert.Contains("signed head is refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_passes_and_names_a_record_rewritten_in_the_file()
    {
        var signer = SumDbContract.NewSigner();
        await using (var store = await SqliteSumDbStore.OpenAsync(DbPath))
        await using (var log = await SumDbLog.OpenAsync(store, signer, TimeProvider.System))
            for (var i = 0; i < 10; i++)
            {
                var (path, version, text) = SumDbContract.Record(i);
                await log.AddAsync(path, version, text);
            }
        Assert.True((await AuditAsync(signer)).IsValid);

        // Record 6 rewritten in place (triggers dropped): its text no longer hashes to the stored leaf.
        var forged = SumDbContract.Record(6, salt: "backdoor").Text;
        await TamperAsync("UPDATE sumdb_records SET record = @forged WHERE idx = 6", new { forged });
        var report = await AuditAsync(signer);
        Assert.False(report.IsValid);
        Assert.Equal(6, report.FirstBadIndex);
        var finding = Assert.Single(report.Findings);
        Assert.Equal(LedgerCodes.EntryLeafHashMismatch, finding.Code);
        Assert.Equal("corp.example/m6@v1.0.0", finding.Evidence!["module"]);
    }

    [Fact]
    public async Task Audit_names_a_record_whose_text_and_leaf_were_rewritten_together_by_the_signed_root()
    {
        var signer = SumDbContract.NewSigner();
        await using (var store = await SqliteSumDbStore.OpenAsync(DbPath))
        await using (var log = await SumDbLog.OpenAsync(store, signer, TimeProvider.System))
            for (var i = 0; i < 4; i++)
            {
                var (path, version, text) = SumDbContract.Record(i);
                await log.AddAsync(path, version, text);
            }
        var forged = SumDbContract.Record(2, salt: "backdoor").Text;
        await TamperAsync("UPDATE sumdb_records SET record = @forged, leaf_hash = @leaf WHERE idx = 2", new { forged, leaf = MerkleHash.Leaf(forged) });
        var report = await AuditAsync(signer);
        Assert.Contains(report.Findings, f => f.Code == LedgerCodes.CheckpointRootMismatch);
        Assert.Equal(2, report.FirstBadIndex); // the signed head of size 3 was the last that verified
    }

    [Fact]
    public async Task Audit_names_a_record_filed_under_another_module_version()
    {
        var signer = SumDbContract.NewSigner();
        await using (var store = await SqliteSumDbStore.OpenAsync(DbPath))
        await using (var log = await SumDbLog.OpenAsync(store, signer, TimeProvider.System))
            for (var i = 0; i < 3; i++)
            {
                var (path, version, text) = SumDbContract.Record(i);
                await log.AddAsync(path, version, text);
            }
        await TamperAsync("UPDATE sumdb_records SET version = 'v9.9.9' WHERE idx = 1");
        var report = await AuditAsync(signer);
        var finding = Assert.Single(report.Findings);
        Assert.Equal(LedgerCodes.RecordColumnMismatch, finding.Code);
        Assert.Equal(1, report.FirstBadIndex);
    }

    private async Task<LedgerAuditReport> AuditAsync(Ed25519NoteSigner signer)
    {
        await using var store = await SqliteSumDbStore.OpenAsync(DbPath);
        return await SumDbAuditor.AuditAsync(store, signer.VerifierKey);
    }

    /// <summary>What someone with the file does: open it directly, drop the triggers, run SQL.</summary>
    private async Task TamperAsync(string sql, object? parameters = null)
    {
        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection($"Data Source={DbPath}");
        await connection.OpenAsync();
        await connection.ExecuteAsync("DROP TRIGGER sumdb_records_no_update; DROP TRIGGER sumdb_records_no_delete;");
        await connection.ExecuteAsync(sql, parameters);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
