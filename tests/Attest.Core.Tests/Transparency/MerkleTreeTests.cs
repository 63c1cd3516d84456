using System.Text;
using Attest.Core.Transparency;
using Attest.Testing;

namespace Attest.Core.Tests.Transparency;

public class MerkleTreeTests
{
    [Fact]
    public void Roots_of_sizes_0_to_8_match_the_transparency_dev_reference_tree()
    {
        var lines = File.ReadAllLines(RepositoryPaths.Vectors("tlog", "rfc6962-reference-roots.txt"));
        var leaves = lines.Where(l => l.StartsWith("leaf ", StringComparison.Ordinal))
            .Select(l => Convert.FromHexString(l[5..].Trim())).ToList();
        var roots = lines.Where(l => l.StartsWith("root ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')).ToDictionary(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), p => p[2]);
        Assert.Equal(8, leaves.Count);
        Assert.Equal(9, roots.Count);

        var range = new CompactRange();
        Assert.Equal(roots[0], Convert.ToHexStringLower(range.Root()));
        for (var size = 1; size <= 8; size++)
        {
            range.Append(MerkleHash.Leaf(leaves[size - 1]));
            Assert.Equal(roots[size], Convert.ToHexStringLower(range.Root()));
        }
    }

    [Fact]
    public void Hashes_match_the_go_sumdb_tlog_vectors()
    {
        var lines = File.ReadAllLines(RepositoryPaths.Vectors("go", "tlog-vectors.txt"));
        var recordLine = lines.Single(l => l.StartsWith("RecordHash(\"hello world\")", StringComparison.Ordinal));
        Assert.Equal(Value(recordLine), Convert.ToBase64String(MerkleHash.Leaf("hello world"u8)));
        Assert.Equal(Value(lines.Single(l => l.StartsWith("TreeHash(0)", StringComparison.Ordinal))),
            Convert.ToBase64String(new CompactRange().Root()));

        var treeLines = lines.Where(l => l.StartsWith("TreeHash(n=", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, treeLines.Count);
        foreach (var line in treeLines)
        {
            var n = int.Parse(line["TreeHash(n=".Length..line.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            var range = new CompactRange();
            for (var i = 0; i < n; i++) range.Append(MerkleHash.Leaf(Encoding.ASCII.GetBytes($"leaf {i}")));
            Assert.Equal(Value(line), Convert.ToBase64String(range.Root()));
        }

        static string Value(string line) => line[(line.LastIndexOf(" = ", StringComparison.Ordinal) + 3)..].Trim().Split(' ')[0];
    }

    [Fact]
    public void Leaf_and_node_hashes_are_domain_separated_as_RFC_6962_says()
    {
        var data = "abc"u8.ToArray();
        Assert.Equal(ReferenceMerkle.LeafHash(data), MerkleHash.Leaf(data));
        var big = new byte[5000];
        new Random(1).NextBytes(big);
        Assert.Equal(ReferenceMerkle.LeafHash(big), MerkleHash.Leaf(big));
        var l = MerkleHash.Leaf("l"u8);
        var r = MerkleHash.Leaf("r"u8);
        Assert.Equal(ReferenceMerkle.NodeHash(l, r), MerkleHash.Children(l, r));
        Assert.NotEqual(MerkleHash.Leaf([0x01, .. l, .. r]), MerkleHash.Children(l, r));
    }

    [Fact]
    public void Compact_range_roots_match_the_reference_for_every_size_up_to_300()
    {
        var store = MemoryNodeStore.WithLeaves(300);
        var range = new CompactRange();
        for (var size = 1; size <= 300; size++)
        {
            range.Append(store.Leaves[size - 1]);
            Assert.Equal(ReferenceMerkle.Mth(store.Leaves, 0, size), range.Root());
            Assert.Equal(long.PopCount(size), range.Hashes.Count);
        }
    }

    [Fact]
    public void Append_reports_every_completed_subtree_with_its_reference_hash()
    {
        var store = MemoryNodeStore.WithLeaves(77);
        // 77 leaves complete floor(77/2) + floor(77/4) + ... perfect subtrees above the leaves.
        var expectedCount = 0;
        for (var level = 1; (1 << level) <= 77; level++) expectedCount += 77 >> level;
        Assert.Equal(expectedCount, store.Nodes.Count);
        foreach (var (id, hash) in store.Nodes)
            Assert.Equal(ReferenceMerkle.Mth(store.Leaves, id.FirstLeaf, id.FirstLeaf + (1L << id.Level)), hash);
    }

    [Fact]
    public void Frontier_restored_from_stored_nodes_continues_with_the_same_roots()
    {
        var store = MemoryNodeStore.WithLeaves(100);
        var ids = CompactRange.FrontierIds(61);
        var restored = CompactRange.FromFrontier(61, [.. ids.Select(store.HashOf)]);
        Assert.Equal(ReferenceMerkle.Mth(store.Leaves, 0, 61), restored.Root());
        for (var i = 61; i < 100; i++) restored.Append(store.Leaves[i]);
        Assert.Equal(store.Range.Root(), restored.Root());
    }

    [Fact]
    public void Frontier_with_the_wrong_number_of_hashes_is_refused()
    {
        var h = MerkleHash.Leaf("x"u8);
        Assert.Throws<ArgumentException>(() => CompactRange.FromFrontier(3, [h]));
        Assert.Throws<ArgumentException>(() => CompactRange.FromFrontier(4, [h, h]));
        Assert.Throws<ArgumentException>(() => CompactRange.FromFrontier(1, [new byte[31]]));
    }

    [Fact]
    public void Clone_is_independent_of_the_original()
    {
        var store = MemoryNodeStore.WithLeaves(10);
        var clone = store.Range.Clone();
        clone.Append(MerkleHash.Leaf("more"u8));
        Assert.Equal(10, store.Range.Size);
        Assert.Equal(ReferenceMerkle.Mth(store.Leaves, 0, 10), store.Range.Root());
        Assert.NotEqual(store.Range.Root(), clone.Root());
    }
}
