using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Testing;

namespace Attest.Ledger.Tests;

/// <summary>
/// What every <see cref="ILedgerStore"/> promises, run against each real store: atomic, size-checked commits;
/// nodes and entries read back as written; the checkpoint head moved only by compare-and-swap; queries; proofs.
/// </summary>
public abstract class LedgerStoreContractTests
{
    private const string Origin = "attest.test/contract";

    /// <summary>A new, empty ledger in the store under test.</summary>
    protected abstract Task<ILedgerStore> CreateStoreAsync();

    /// <summary>The same ledger opened again (a new process would see this).</summary>
    protected abstract Task<ILedgerStore> ReopenStoreAsync(ILedgerStore store);

    private static List<LedgerRow> Rows(CompactRange range, int count, DateTimeOffset at) =>
        RowsOf(range, Enumerable.Range((int)range.Size, count).Select(LedgerFixture.Decision), at);

    [Fact]
    public async Task Committed_rows_read_back_as_written_and_survive_reopening()
    {
        var range = new CompactRange();
        var rows = Rows(range, 37, DateTimeOffset.UnixEpoch);
        await using (var store = await CreateStoreAsync())
        {
            Assert.Equal(0, await store.GetSizeAsync());
            await store.CommitAsync(0, rows[..20]);
            await store.CommitAsync(20, rows[20..]);
            await using var reopened = await ReopenStoreAsync(store);
            Assert.Equal(37, await reopened.GetSizeAsync());
            var read = await reopened.ReadEntriesAsync(0, 37).ToListAsync();
            Assert.Equal(Enumerable.Range(0, 37).Select(i => (long)i), read.Select(r => r.Index));
            for (var i = 0; i < 37; i++)
            {
                Assert.Equal(rows[i].Entry.Bytes, read[i].Body);
                Assert.Equal(rows[i].LeafHash, read[i].LeafHash);
                Assert.Equal(rows[i].SubtreeHashes, read[i].SubtreeHashes);
            }
            Assert.Equal([10L, 11L], (await reopened.ReadEntriesAsync(10, 12).ToListAsync()).Select(r => r.Index));

            // The frontier read from stored nodes rebuilds the same tree.
            var frontier = await reopened.ReadNodesAsync(CompactRange.FrontierIds(37));
            Assert.Equal(range.Root(), CompactRange.FromFrontier(37, frontier).Root());
        }
    }

    [Fact]
    public async Task A_commit_at_the_wrong_size_conflicts_and_writes_nothing()
    {
        var range = new CompactRange();
        var rows = Rows(range, 6, DateTimeOffset.UnixEpoch);
        await using var store = await CreateStoreAsync();
        await store.CommitAsync(0, rows[..3]);
        await Assert.ThrowsAsync<LedgerConflictException>(() => store.CommitAsync(0, rows[3..]));
        await Assert.ThrowsAsync<LedgerConflictException>(() => store.CommitAsync(4, rows[3..]));
        Assert.Equal(3, await store.GetSizeAsync());
        await store.CommitAsync(3, rows[3..]);
        Assert.Equal(6, await store.GetSizeAsync());
    }

    [Fact]
    public async Task A_missing_node_is_reported_as_corruption()
    {
        var range = new CompactRange();
        await using var store = await CreateStoreAsync();
        await store.CommitAsync(0, Rows(range, 3, DateTimeOffset.UnixEpoch));
        await Assert.ThrowsAsync<LedgerCorruptException>(() => store.ReadNodesAsync([new MerkleNodeId(0, 5)]));
        await Assert.ThrowsAsync<LedgerCorruptException>(() => store.ReadNodesAsync([new MerkleNodeId(2, 0)])); // needs leaf 3
    }

    [Fact]
    public async Task The_checkpoint_head_moves_only_forward_by_compare_and_swap()
    {
        var signer = new Ed25519NoteSigner(Origin, Ed25519.GenerateSeed());
        var range = new CompactRange();
        await using var store = await CreateStoreAsync();
        Assert.Null(await store.GetLatestCheckpointAsync());
        await store.CommitAsync(0, Rows(range, 4, DateTimeOffset.UnixEpoch));
        var first = Stored(signer, 4, range.Root());
        Assert.True(await store.TryAdvanceCheckpointAsync(-1, first));
        Assert.False(await store.TryAdvanceCheckpointAsync(-1, first)); // someone else's view of the head is stale
        await store.CommitAsync(4, Rows(range, 4, DateTimeOffset.UnixEpoch));
        var second = Stored(signer, 8, range.Root());
        Assert.False(await store.TryAdvanceCheckpointAsync(0, second));
        Assert.True(await store.TryAdvanceCheckpointAsync(4, second));

        var latest = await store.GetLatestCheckpointAsync();
        Assert.Equal((8L, second.Note), (latest!.Size, latest.Note));
        Assert.Equal(second.RootHash, latest.RootHash);
        Assert.Equal([4L, 8L], (await store.ReadCheckpointsAsync().ToListAsync()).Select(c => c.Size));
        var report = await LedgerAuditor.AuditAsync(store, new LedgerAuditOptions(Origin, [signer.VerifierKey]));
        Assert.True(report.IsValid, string.Join("; ", report.Findings));
        Assert.Equal(8, report.VerifiedCheckpointSize);
    }

    [Fact]
    public async Task Queries_filter_page_and_bound_their_results()
    {
        var range = new CompactRange();
        var at = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);
        await using var store = await CreateStoreAsync();
        await store.CommitAsync(0, Rows(range, 30, at));
        var denies = await store.QueryAsync(new LedgerQuery { Verdict = "deny" });
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 3 == 0).Select(i => (long)i), denies.Select(r => r.Index));
        var page = await store.QueryAsync(new LedgerQuery { Verdict = "deny", AfterIndex = 9, Limit = 2 });
        Assert.Equal([12L, 15L], page.Select(r => r.Index));
        Assert.Equal(7, Assert.Single(await store.QueryAsync(new LedgerQuery { Digest = $"sha256:{7:x64}" })).Index);
        Assert.Empty(await store.QueryAsync(new LedgerQuery { From = at.AddSeconds(1) }));
        Assert.Equal(30, (await store.QueryAsync(new LedgerQuery { From = at, To = at.AddSeconds(1), Limit = 1000 })).Count);
        Assert.Single(await store.QueryAsync(new LedgerQuery { Limit = 0 })); // clamped to at least one
    }

    [Fact]
    public async Task Concurrent_appends_through_the_ledger_get_consecutive_indexes_and_proofs_that_verify()
    {
        var signer = new Ed25519NoteSigner(Origin, Ed25519.GenerateSeed());
        await using var store = await CreateStoreAsync();
        await using (var ledger = await AuditLedger.OpenAsync(store, new AuditLedgerOptions { Origin = Origin, CheckpointEveryEntries = 1_000_000, CheckpointInterval = TimeSpan.FromHours(1) },
                         [signer], TimeProvider.System))
        {
            var indexes = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => ledger.AppendAsync(LedgerFixture.Decision(i))));
            Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), indexes.Order());
            var checkpoint = (await ledger.CheckpointAsync())!;
            var rows = await store.ReadEntriesAsync(0, 200).ToListAsync();
            foreach (var index in new[] { 0, 1, 99, 128, 199 })
                Assert.True((await store.GetInclusionProofAsync(index, 200)).Verify(MerkleHash.Leaf(rows[index].Body), checkpoint.RootHash).IsValid);
            Assert.True((await store.GetConsistencyProofAsync(77, 200)).Verify(await store.GetRootAsync(77), checkpoint.RootHash).IsValid);
        }
    }

    [Fact]
    public async Task Transparency_log_lookups_return_log_entries_only_however_many_other_entries_share_their_digest_or_identity()
    {
        const string digest = "sha256:" + "ab" + "0000000000000000000000000000000000000000000000000000000000cd";
        const string identity = "https://github.com/example/app/.github/workflows/release.yml@refs/heads/main";
        using var spec = System.Text.Json.JsonDocument.Parse("""{"data":{"hash":{"algorithm":"sha256","value":"ab"}}}""");
        var decision = LedgerEntry.AdmissionDecision("registry.example/app@" + digest, digest, "prod", "allow");
        var certificate = new LedgerEntry { Kind = LedgerEntryKinds.CertificateIssued, Identity = identity };
        var logged = new LedgerEntry { Kind = LedgerEntryKinds.SignatureIssued, ApiVersion = "0.0.1", Spec = spec.RootElement, Digest = digest, Identity = identity };
        // More decisions and certificates about the same digest and identity than a lookup returns, before and after.
        LedgerEntry[] entries = [.. Enumerable.Repeat(decision, 30), .. Enumerable.Repeat(certificate, 30), logged, .. Enumerable.Repeat(decision, 5)];
        var range = new CompactRange();
        var rows = RowsOf(range, entries, DateTimeOffset.UnixEpoch);
        await using var store = await CreateStoreAsync();
        await store.CommitAsync(0, rows);
        await using var reopened = await ReopenStoreAsync(store);
        foreach (var lookups in new[] { store, reopened })
        {
            Assert.Equal([60L], (await lookups.LookupAsync(LedgerLookup.Digest, digest, 10)).Select(r => r.Index));
            Assert.Equal([60L], (await lookups.LookupAsync(LedgerLookup.Identity, identity, 10)).Select(r => r.Index));
            var found = Assert.Single(await lookups.LookupAsync(LedgerLookup.LeafHash, rows[60].LeafHash, 10));
            Assert.Equal(rows[60].Entry.Bytes, found.Body);
            Assert.Empty(await lookups.LookupAsync(LedgerLookup.LeafHash, rows[0].LeafHash, 10));
            Assert.Empty(await lookups.LookupAsync(LedgerLookup.Digest, "sha256:" + new string('0', 64), 10));
        }
    }

    /// <summary>Each lookup as the store's query planner would run it: the plan names the index it searches.</summary>
    [Fact]
    public async Task Each_transparency_log_lookup_is_answered_from_its_index()
    {
        await using var store = await CreateStoreAsync();
        var range = new CompactRange();
        await store.CommitAsync(0, Rows(range, 50, DateTimeOffset.UnixEpoch));
        Assert.Contains("entries_tlog_leaf_hash", await ExplainLookupAsync(store, LedgerLookup.LeafHash));
        Assert.Contains("entries_digest_kind", await ExplainLookupAsync(store, LedgerLookup.Digest));
        Assert.Contains("entries_identity", await ExplainLookupAsync(store, LedgerLookup.Identity));
    }

    /// <summary>The query plan of the store's lookup statement for <paramref name="column"/>, as text.</summary>
    protected abstract Task<string> ExplainLookupAsync(ILedgerStore store, LedgerLookup column);

    private static List<LedgerRow> RowsOf(CompactRange range, IEnumerable<LedgerEntry> entries, DateTimeOffset at)
    {
        var rows = new List<LedgerRow>();
        foreach (var entry in entries)
        {
            var index = range.Size;
            var bytes = LedgerEntryCodec.Serialize(index, at, entry);
            var leaf = MerkleHash.Leaf(bytes);
            rows.Add(new LedgerRow(new SequencedEntry(index, at, entry, bytes), leaf, AuditLedger.AppendLeaf(range, leaf)));
        }
        return rows;
    }

    private static StoredCheckpoint Stored(NoteSigner signer, long size, byte[] root) =>
        new(size, root, new Checkpoint(Origin, size, root).Sign(signer).ToString());
}

public sealed class SqliteLedgerStoreContractTests : LedgerStoreContractTests, IDisposable
{
    private readonly TempDirectory _dir = new("attest-contract");
    private int _files;

    protected override async Task<ILedgerStore> CreateStoreAsync() =>
        await SqliteLedgerStore.OpenAsync(_dir.Combine($"ledger-{Interlocked.Increment(ref _files)}.db"));

    protected override async Task<ILedgerStore> ReopenStoreAsync(ILedgerStore store) => await SqliteLedgerStore.OpenAsync(store.Location);

    protected override async Task<string> ExplainLookupAsync(ILedgerStore store, LedgerLookup column)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={store.Location};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        var plan = await Dapper.SqlMapper.QueryAsync<(long Id, long Parent, long NotUsed, string Detail)>(connection, "EXPLAIN QUERY PLAN " + SqliteSchema.Lookup(column),
            new { value = column == LedgerLookup.LeafHash ? (object)new byte[32] : "x", limit = 10 });
        return string.Join("; ", plan.Select(p => p.Detail));
    }

    [Fact]
    public async Task A_ledger_made_before_the_narrower_indexes_has_its_full_leaf_hash_and_digest_indexes_replaced_on_open()
    {
        var path = _dir.Combine("earlier.db");
        await (await SqliteLedgerStore.OpenAsync(path)).DisposeAsync();
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            // What an earlier version created.
            await Dapper.SqlMapper.ExecuteAsync(connection, """
                DROP INDEX entries_tlog_leaf_hash; DROP INDEX entries_digest_kind;
                CREATE INDEX entries_leaf_hash ON entries (leaf_hash);
                CREATE INDEX entries_digest ON entries (digest) WHERE digest IS NOT NULL;
                """);
        }
        await using var store = await SqliteLedgerStore.OpenAsync(path);
        await using var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await check.OpenAsync();
        var indexes = (await Dapper.SqlMapper.QueryAsync<string>(check, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' AND sql IS NOT NULL ORDER BY name")).ToList();
        Assert.Equal(["entries_digest_kind", "entries_identity", "entries_recorded_at", "entries_tlog_leaf_hash"], indexes);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

[Collection(LedgerPostgresCollection.Name)]
public sealed class PostgresLedgerStoreContractTests(PostgresFixture postgres) : LedgerStoreContractTests
{
    private readonly Dictionary<ILedgerStore, string> _connections = [];

    protected override async Task<ILedgerStore> CreateStoreAsync()
    {
        var connection = await LedgerDatabases.CreateAsync(postgres);
        var store = await PostgresLedgerStore.OpenAsync(connection);
        _connections[store] = connection;
        return store;
    }

    protected override async Task<ILedgerStore> ReopenStoreAsync(ILedgerStore store) => await PostgresLedgerStore.OpenAsync(_connections[store]);

    protected override async Task<string> ExplainLookupAsync(ILedgerStore store, LedgerLookup column)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_connections[store]);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // A table this small is cheaper to scan; the question is whether the index can answer the lookup at all.
        await Dapper.SqlMapper.ExecuteAsync(connection, "SET LOCAL enable_seqscan = off", transaction: transaction);
        var plan = await Dapper.SqlMapper.QueryAsync<string>(connection, "EXPLAIN " + PostgresSchema.Lookup(column),
            new { value = column == LedgerLookup.LeafHash ? (object)new byte[32] : "x", limit = 10 }, transaction);
        return string.Join("; ", plan);
    }
}
