using System.Text;
using Attest.Core.Crypto;
using Attest.Core.Transparency;

namespace Attest.Ledger.Tests;

public class LedgerCheckpointTests
{
    [Fact]
    public async Task Inclusion_proofs_read_from_the_file_verify_against_the_signed_checkpoint()
    {
        await using var fx = new LedgerFixture();
        await using var ledger = await fx.OpenAsync();
        await LedgerFixture.AppendSequentiallyAsync(ledger, 77);
        var stored = await ledger.CheckpointAsync();
        Assert.True(Checkpoint.TryOpen(Encoding.UTF8.GetBytes(stored!.Note), LedgerFixture.Origin, [fx.Signer.VerifierKey], out var checkpoint, out var error), error?.ToString());
        Assert.Equal(77, checkpoint.Size);

        var rows = await ledger.Store.ReadEntriesAsync(0, 77).ToListAsync();
        foreach (var row in rows)
        {
            var proof = await ledger.GetInclusionProofAsync(row.Index, checkpoint.Size);
            Assert.True(proof.Verify(MerkleHash.Leaf(row.Body), checkpoint.RootHash).IsValid, $"entry {row.Index}");
            var other = rows[(int)((row.Index + 1) % 77)];
            Assert.False(proof.Verify(MerkleHash.Leaf(other.Body), checkpoint.RootHash).IsValid);
        }
        // Proofs against an older tree size work too (auditors hold older checkpoints).
        var old = await ledger.GetInclusionProofAsync(3, 10);
        var root10 = await ledger.Store.GetRootAsync(10);
        Assert.True(old.Verify(rows[3].LeafHash, root10).IsValid);
    }

    [Fact]
    public async Task Successive_checkpoints_are_consistent_and_the_proof_between_them_verifies()
    {
        await using var fx = new LedgerFixture();
        await using var ledger = await fx.OpenAsync();
        await LedgerFixture.AppendSequentiallyAsync(ledger, 37);
        var first = (await ledger.CheckpointAsync())!;
        await LedgerFixture.AppendSequentiallyAsync(ledger, 63, offset: 37);
        var second = (await ledger.CheckpointAsync())!;
        Assert.Equal((37, 100), (first.Size, second.Size));
        var proof = await ledger.GetConsistencyProofAsync(first.Size, second.Size);
        Assert.True(proof.Verify(first.RootHash, second.RootHash).IsValid);
        Assert.False(proof.Verify(second.RootHash, first.RootHash).IsValid);
    }

    [Fact]
    public async Task A_checkpoint_is_published_every_N_entries()
    {
        await using var fx = new LedgerFixture();
        await using (var ledger = await fx.OpenAsync(checkpointEvery: 10))
            await LedgerFixture.AppendSequentiallyAsync(ledger, 35);
        await using var store = await SqliteLedgerStore.OpenAsync(fx.Path);
        var sizes = await store.ReadCheckpointsAsync().Select(c => c.Size).ToListAsync();
        Assert.Equal([10, 20, 30], sizes);
        Assert.Equal(30, (await store.GetLatestCheckpointAsync())!.Size);
    }

    [Fact]
    public async Task A_checkpoint_is_published_T_after_the_last_when_entries_wait()
    {
        await using var fx = new LedgerFixture();
        await using var ledger = await fx.OpenAsync(interval: TimeSpan.FromMilliseconds(100));
        await LedgerFixture.AppendSequentiallyAsync(ledger, 3);
        var deadline = DateTime.UtcNow.AddSeconds(10); // test-side wall clock only
        StoredCheckpoint? latest = null;
        while (DateTime.UtcNow < deadline && (latest = await ledger.GetLatestCheckpointAsync())?.Size != 3) await Task.Delay(20);
        Assert.Equal(3, latest?.Size);
    }

    [Fact]
    public async Task Checkpoint_head_moves_only_by_compare_and_swap()
    {
        await using var fx = new LedgerFixture();
        await using var ledger = await fx.OpenAsync();
        await LedgerFixture.AppendSequentiallyAsync(ledger, 5);
        var current = (await ledger.CheckpointAsync())!;
        var root = await ledger.Store.GetRootAsync(5);
        var rival = new StoredCheckpoint(6, root, "rival");
        Assert.False(await ledger.Store.TryAdvanceCheckpointAsync(expectedHeadSize: 3, rival));
        var latest = (await ledger.Store.GetLatestCheckpointAsync())!;
        Assert.Equal((current.Size, current.Note), (latest.Size, latest.Note));
        Assert.Equal([5], await ledger.Store.ReadCheckpointsAsync().Select(c => c.Size).ToListAsync());
    }

    [Fact]
    public async Task Ledger_refuses_to_open_over_a_forged_latest_checkpoint()
    {
        await using var fx = new LedgerFixture();
        await using (var ledger = await fx.OpenAsync())
        {
            await LedgerFixture.AppendSequentiallyAsync(ledger, 5);
            await ledger.CheckpointAsync();
        }
        var forger = new Ed25519NoteSigner(LedgerFixture.Origin, Ed25519.GenerateSeed());
        var forgedRoot = MerkleHash.Leaf("forged"u8);
        var note = new Checkpoint(LedgerFixture.Origin, 5, forgedRoot).Sign(forger).ToString();
        await fx.TamperAsync("UPDATE checkpoint_head SET note = @note; UPDATE checkpoints SET note = @note, root_hash = @root WHERE size = 5",
            new { note, root = forgedRoot });
        await Assert.ThrowsAsync<LedgerCorruptException>(() => fx.OpenAsync());
    }
}
