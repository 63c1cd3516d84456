using System.Security.Cryptography;
using Attest.Core.Transparency;

namespace Attest.Ledger.Tests;

/// <summary>
/// The Merkle nodes a ledger keeps in memory for the proofs of entries it just appended: the same proofs as from the
/// store, and, for recent entries, without asking the store at all; older entries still go to the store.
/// </summary>
public sealed class RecentMerkleNodesTests
{
    private const int Entries = 40_000; // past 2^14 (the ring) and two level-14 subtrees

    [Fact]
    public async Task Proofs_of_recent_entries_come_from_memory_and_equal_the_stores()
    {
        var (rows, root, store, recent) = Committed(Entries);

        foreach (var index in new long[] { Entries - 1, Entries - 2, Entries - 57, Entries - 1000, Entries - 5000 })
        {
            store.Requested = 0;
            var fromMemory = await recent.GetInclusionProofAsync(index, Entries);
            Assert.Equal(0, store.Requested);
            var fromStore = await store.GetInclusionProofAsync(index, Entries);
            Assert.Equal(fromStore.Hashes, fromMemory.Hashes);
            Assert.True(fromMemory.Verify(rows[(int)index].LeafHash, root).IsValid);
        }
    }

    [Fact]
    public async Task Entries_older_than_the_ring_are_read_from_the_store_and_proofs_still_verify()
    {
        var (rows, root, store, recent) = Committed(Entries);

        foreach (var index in new long[] { 0, 5, 12_345, Entries - (1 << RecentMerkleNodes.HighLevel) - 10 })
        {
            store.Requested = 0;
            var proof = await recent.GetInclusionProofAsync(index, Entries);
            Assert.True(store.Requested > 0);
            Assert.Equal((await store.GetInclusionProofAsync(index, Entries)).Hashes, proof.Hashes);
            Assert.True(proof.Verify(rows[(int)index].LeafHash, root).IsValid);
        }
        // A tree size the ring has not seen the end of (another replica's entries): the store answers those nodes.
        var (more, moreRoot) = Tree(Entries + 10);
        var shared = new CountingNodes(more);
        var mine = new RecentMerkleNodes(shared, 1 << RecentMerkleNodes.HighLevel);
        foreach (var row in more.Take(Entries)) mine.Committed(row);
        var proofOfTheirs = await mine.GetInclusionProofAsync(Entries + 5, Entries + 10);
        Assert.True(shared.Requested > 0);
        Assert.True(proofOfTheirs.Verify(more[Entries + 5].LeafHash, moreRoot).IsValid);
    }

    /// <summary>A tree of <paramref name="count"/> rows, all committed through the memory the ledger keeps, over a counting store.</summary>
    private static (List<LedgerRow> Rows, byte[] Root, CountingNodes Store, RecentMerkleNodes Recent) Committed(int count)
    {
        var (rows, root) = Tree(count);
        var store = new CountingNodes(rows);
        var recent = new RecentMerkleNodes(store, 1 << RecentMerkleNodes.HighLevel);
        foreach (var row in rows) recent.Committed(row);
        return (rows, root, store, recent);
    }

    /// <summary>Rows as the sequencer builds them (leaf hash and the subtree hashes each completes) and the tree's root.</summary>
    private static (List<LedgerRow> Rows, byte[] Root) Tree(int count)
    {
        var range = new CompactRange();
        var rows = new List<LedgerRow>(count);
        var entry = LedgerFixture.Decision(0);
        for (var i = 0; i < count; i++)
        {
            var leaf = MerkleHash.Leaf(SHA256.HashData(BitConverter.GetBytes(i)));
            rows.Add(new LedgerRow(new SequencedEntry(i, DateTimeOffset.UnixEpoch, entry, []), leaf, AuditLedger.AppendLeaf(range, leaf)));
        }
        return (rows, range.Root());
    }

    /// <summary>A store's node reads over the rows (node (L, j) kept with the row of its last leaf), counting what it is asked.</summary>
    private sealed class CountingNodes(List<LedgerRow> rows) : IMerkleNodeReader
    {
        public int Requested { get; set; }

        public Task<IReadOnlyList<byte[]>> ReadNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default)
        {
            Requested += ids.Count;
            return Task.FromResult<IReadOnlyList<byte[]>>([.. ids.Select(id =>
            {
                var row = rows[(int)id.LastLeaf];
                return id.Level == 0 ? row.LeafHash : row.SubtreeHashes[((id.Level - 1) * MerkleHash.Size)..(id.Level * MerkleHash.Size)];
            })]);
        }
    }
}
