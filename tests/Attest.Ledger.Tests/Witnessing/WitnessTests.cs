using System.Text;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Ledger.Database;
using Attest.Ledger.Witnessing;
using Attest.Testing;

namespace Attest.Ledger.Tests.Witnessing;

/// <summary>The witness side of c2sp.org/tlog-witness over a real SQLite state file and real logs: it cosigns only
/// checkpoints consistent with the last one it cosigned, and says why it refuses the others.</summary>
public sealed class WitnessTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("attest-witness");
    private readonly LedgerFixture _log = new();
    private readonly Ed25519CosignatureSigner _cosigner = new("witness.test/w1", Ed25519.GenerateSeed(), TimeProvider.System);
    private SqlDatabase _database = null!;
    private Witness _witness = null!;
    private AuditLedger _ledger = null!;

    public async Task InitializeAsync()
    {
        _database = SqlDatabase.Sqlite(_directory.Combine("witness.db"));
        _witness = await NewWitnessAsync();
        _ledger = await _log.OpenAsync();
    }

    public async Task DisposeAsync()
    {
        await _ledger.DisposeAsync();
        await _log.DisposeAsync();
        await _database.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    private async Task<Witness> NewWitnessAsync() =>
        new(_cosigner, [new WitnessedLog(LedgerFixture.Origin, [_log.Signer.VerifierKey])], await WitnessStateStore.OpenAsync(_database));

    private async Task<StoredCheckpoint> GrowAsync(int entries, int offset = 0)
    {
        await LedgerFixture.AppendSequentiallyAsync(_ledger, entries, offset);
        return (await _ledger.CheckpointAsync())!;
    }

    private Task<WitnessResponse> SubmitAsync(long oldSize, IReadOnlyList<byte[]> proof, string note) =>
        _witness.AddCheckpointAsync(new AddCheckpointRequest(oldSize, proof, Encoding.UTF8.GetBytes(note)).ToBytes());

    private async Task<WitnessResponse> SubmitFromAsync(long oldSize, StoredCheckpoint checkpoint) =>
        await SubmitAsync(oldSize, oldSize == 0 ? [] : (await _ledger.GetConsistencyProofAsync(oldSize, checkpoint.Size)).Hashes, checkpoint.Note);

    private void AssertCosigns(WitnessResponse response, StoredCheckpoint checkpoint)
    {
        Assert.True(response.IsCosigned, response.Body);
        var note = SignedNote.Parse(checkpoint.Note + response.Body);
        Assert.Equal(1, new CosignatureQuorum([_cosigner.VerifierKey], 1).Count(note).Count);
    }

    [Fact]
    public async Task Witness_cosigns_the_first_checkpoint_and_each_consistent_successor()
    {
        var first = await GrowAsync(5);
        AssertCosigns(await SubmitFromAsync(0, first), first);
        var second = await GrowAsync(17, offset: 5);
        AssertCosigns(await SubmitFromAsync(first.Size, second), second);
        // The same checkpoint again (another replica asking) is cosigned again.
        AssertCosigns(await SubmitFromAsync(second.Size, second), second);
    }

    [Fact]
    public async Task Wrong_old_size_gets_409_with_the_latest_cosigned_size()
    {
        var first = await GrowAsync(5);
        AssertCosigns(await SubmitFromAsync(0, first), first);
        var second = await GrowAsync(3, offset: 5);
        var response = await SubmitFromAsync(0, second);
        Assert.Equal(409, response.StatusCode);
        Assert.Equal(AddCheckpointRequest.SizeContentType, response.ContentType);
        Assert.Equal("5\n", response.Body);
    }

    [Fact]
    public async Task Rolled_back_checkpoint_is_refused()
    {
        var small = await GrowAsync(4);
        var large = await GrowAsync(10, offset: 4);
        AssertCosigns(await SubmitFromAsync(0, large), large);
        // The log (or whoever holds its key and database) shows the older, smaller checkpoint again.
        Assert.Equal(400, (await SubmitAsync(large.Size, [], small.Note)).StatusCode);
        var asNew = await SubmitAsync(0, [], small.Note);
        Assert.Equal(409, asNew.StatusCode);
        Assert.Equal("14\n", asNew.Body);
    }

    [Fact]
    public async Task Fork_of_the_same_size_with_another_root_is_refused_with_409()
    {
        var honest = await GrowAsync(8);
        AssertCosigns(await SubmitFromAsync(0, honest), honest);
        // A second log under the same key and origin: same size, other entries.
        var forked = await ForkAsync(8, offset: 1000);
        var response = await SubmitAsync(8, [], forked.Note);
        Assert.Equal(409, response.StatusCode);
        Assert.Contains("fork", response.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fork_that_grew_larger_fails_the_consistency_proof_with_422()
    {
        var honest = await GrowAsync(8);
        AssertCosigns(await SubmitFromAsync(0, honest), honest);
        await using var fork = new LedgerFixture();
        var forkLedger = await OpenForkAsync(fork);
        await using (forkLedger)
        {
            await LedgerFixture.AppendSequentiallyAsync(forkLedger, 20, offset: 1000);
            var forked = (await forkLedger.CheckpointAsync())!;
            // The fork's own proof from size 8 is valid for the fork, not for what the witness cosigned.
            var proof = (await forkLedger.GetConsistencyProofAsync(8, forked.Size)).Hashes;
            var response = await SubmitAsync(8, proof, forked.Note);
            Assert.Equal(422, response.StatusCode);
            Assert.Contains("not consistent", response.Refusal, StringComparison.Ordinal);
        }
        // And the witness still stands where it was.
        var next = await GrowAsync(2, offset: 8);
        AssertCosigns(await SubmitFromAsync(8, next), next);
    }

    [Fact]
    public async Task Witness_remembers_its_state_across_restarts()
    {
        var first = await GrowAsync(6);
        AssertCosigns(await SubmitFromAsync(0, first), first);
        _witness = await NewWitnessAsync();
        var again = await SubmitFromAsync(0, await GrowAsync(1, offset: 6));
        Assert.Equal(409, again.StatusCode);
        Assert.Equal("6\n", again.Body);
    }

    [Fact]
    public async Task Unknown_origin_is_404_and_another_key_is_403()
    {
        var checkpoint = await GrowAsync(3);
        var stranger = new Ed25519NoteSigner("other.test/log", Ed25519.GenerateSeed());
        var unknown = new Checkpoint("other.test/log", 3, checkpoint.RootHash).Sign(stranger).ToString();
        Assert.Equal(404, (await SubmitAsync(0, [], unknown)).StatusCode);
        var impostor = new Ed25519NoteSigner(LedgerFixture.Origin, Ed25519.GenerateSeed());
        var forged = new Checkpoint(LedgerFixture.Origin, 3, checkpoint.RootHash).Sign(impostor).ToString();
        Assert.Equal(403, (await SubmitAsync(0, [], forged)).StatusCode);
    }

    [Fact]
    public async Task Malformed_requests_are_400()
    {
        var checkpoint = await GrowAsync(3);
        Assert.Equal(400, (await _witness.AddCheckpointAsync(Encoding.UTF8.GetBytes("old 03\n\n" + checkpoint.Note))).StatusCode);
        Assert.Equal(400, (await _witness.AddCheckpointAsync(Encoding.UTF8.GetBytes("old 0\n" + checkpoint.Note))).StatusCode);
        Assert.Equal(400, (await _witness.AddCheckpointAsync(Encoding.UTF8.GetBytes("old 0\nnot-a-hash\n\n" + checkpoint.Note))).StatusCode);
        Assert.Equal(400, (await SubmitAsync(0, [new byte[32]], checkpoint.Note)).StatusCode); // a proof from size 0
        Assert.Equal(400, (await SubmitAsync(4, [], checkpoint.Note)).StatusCode);             // old beyond the checkpoint
        Assert.Equal(400, (await _witness.AddCheckpointAsync(new byte[AddCheckpointRequest.MaxBytes + 1])).StatusCode);
    }

    [Fact]
    public async Task Request_round_trips_and_refuses_more_than_63_proof_lines()
    {
        var proof = Enumerable.Range(0, 63).Select(i => Enumerable.Repeat((byte)i, 32).ToArray()).ToList();
        var bytes = new AddCheckpointRequest(20852014, proof, Encoding.UTF8.GetBytes("note\n\n— k AAAA\n")).ToBytes();
        Assert.True(AddCheckpointRequest.TryParse(bytes, out var parsed, out var error), error);
        Assert.Equal(20852014, parsed.OldSize);
        Assert.Equal(proof, parsed.Proof);
        var tooMany = new AddCheckpointRequest(1, [.. proof, new byte[32]], Encoding.UTF8.GetBytes("note\n")).ToBytes();
        Assert.False(AddCheckpointRequest.TryParse(tooMany, out _, out error));
        Assert.Contains("63", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_requests_from_one_old_size_move_the_witness_once()
    {
        var first = await GrowAsync(4);
        AssertCosigns(await SubmitFromAsync(0, first), first);
        var a = await GrowAsync(3, offset: 4);
        var b = await GrowAsync(3, offset: 7);
        var proofA = (await _ledger.GetConsistencyProofAsync(4, a.Size)).Hashes;
        var proofB = (await _ledger.GetConsistencyProofAsync(4, b.Size)).Hashes;
        // Two witness instances on one state file: the compare-and-swap in the store is what keeps them honest.
        var other = await NewWitnessAsync();
        var answers = await Task.WhenAll(
            _witness.AddCheckpointAsync(new AddCheckpointRequest(4, proofA, Encoding.UTF8.GetBytes(a.Note)).ToBytes()),
            other.AddCheckpointAsync(new AddCheckpointRequest(4, proofB, Encoding.UTF8.GetBytes(b.Note)).ToBytes()));
        Assert.Equal(1, answers.Count(r => r.IsCosigned));
        Assert.Equal(1, answers.Count(r => r.StatusCode == 409));
    }

    private async Task<StoredCheckpoint> ForkAsync(int entries, int offset)
    {
        await using var fork = new LedgerFixture();
        await using var forkLedger = await OpenForkAsync(fork);
        await LedgerFixture.AppendSequentiallyAsync(forkLedger, entries, offset);
        return (await forkLedger.CheckpointAsync())!;
    }

    /// <summary>A log in another file signed with this log's key: what a fork looks like to a witness.</summary>
    private async Task<AuditLedger> OpenForkAsync(LedgerFixture fork) =>
        await AuditLedger.OpenAsync(await SqliteLedgerStore.OpenAsync(fork.Path),
            new AuditLedgerOptions { Origin = LedgerFixture.Origin, CheckpointEveryEntries = 1_000_000, CheckpointInterval = TimeSpan.FromHours(1) },
            [_log.Signer], TimeProvider.System);
}
