using System.Security.Cryptography;
using Attest.Core.Transparency;

namespace Attest.Core.Tests.Transparency;

/// <summary>
/// A deliberately naive RFC 9162 §2.1 implementation (recursive MTH, PATH and SUBPROOF over an array of leaf
/// hashes, hashing with SHA256 directly) that the production code is checked against.
/// </summary>
internal static class ReferenceMerkle
{
    public static byte[] LeafHash(byte[] data) => SHA256.HashData([0x00, .. data]);

    public static byte[] NodeHash(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    public static byte[] Mth(IReadOnlyList<byte[]> leaves, long begin, long end)
    {
        var n = end - begin;
        if (n == 0) return SHA256.HashData(Array.Empty<byte>());
        if (n == 1) return leaves[(int)begin];
        var k = K(n);
        return NodeHash(Mth(leaves, begin, begin + k), Mth(leaves, begin + k, end));
    }

    public static List<byte[]> Path(IReadOnlyList<byte[]> leaves, long m, long begin, long end)
    {
        var n = end - begin;
        if (n == 1) return [];
        var k = K(n);
        if (m < k)
        {
            var p = Path(leaves, m, begin, begin + k);
            p.Add(Mth(leaves, begin + k, end));
            return p;
        }
        var q = Path(leaves, m - k, begin + k, end);
        q.Add(Mth(leaves, begin, begin + k));
        return q;
    }

    public static List<byte[]> Proof(IReadOnlyList<byte[]> leaves, long m, long n) =>
        m == 0 || m == n ? [] : SubProof(leaves, m, 0, n, true);

    private static List<byte[]> SubProof(IReadOnlyList<byte[]> leaves, long m, long begin, long end, bool b)
    {
        var n = end - begin;
        if (m == n) return b ? [] : [Mth(leaves, begin, end)];
        var k = K(n);
        if (m <= k)
        {
            var p = SubProof(leaves, m, begin, begin + k, b);
            p.Add(Mth(leaves, begin + k, end));
            return p;
        }
        var q = SubProof(leaves, m - k, begin + k, end, false);
        q.Add(Mth(leaves, begin, begin + k));
        return q;
    }

    private static long K(long n)
    {
        long k = 1;
        while (k * 2 < n) k *= 2;
        return k;
    }
}

/// <summary>An in-memory node store built only through <see cref="CompactRange"/>'s completed-subtree
/// callbacks, the way a ledger store fills its table.</summary>
internal sealed class MemoryNodeStore
{
    private readonly Dictionary<MerkleNodeId, byte[]> _nodes = [];

    public MemoryNodeStore(IReadOnlyList<byte[]> leafHashes)
    {
        Leaves = leafHashes;
        Range = new CompactRange();
        foreach (var leaf in leafHashes) Range.Append(leaf, (id, hash) => _nodes.Add(id, hash));
    }

    public IReadOnlyList<byte[]> Leaves { get; }

    public CompactRange Range { get; }

    public IReadOnlyDictionary<MerkleNodeId, byte[]> Nodes => _nodes;

    public byte[] HashOf(MerkleNodeId id) => id.Level == 0 ? Leaves[(int)id.Index] : _nodes[id];

    public static MemoryNodeStore WithLeaves(int count)
    {
        var leaves = new byte[count][];
        for (var i = 0; i < count; i++) leaves[i] = ReferenceMerkle.LeafHash(BitConverter.GetBytes(i));
        return new MemoryNodeStore(leaves);
    }
}
