namespace Attest.Core.Transparency;

/// <summary>
/// The stored nodes an inclusion or consistency proof is made of, computed without touching storage. Each
/// proof element is one perfect subtree, except at most one on the tree's right border, which is hashed from
/// the perfect subtrees it decomposes into. A store fetches <see cref="Nodes"/> in one round trip and calls
/// <see cref="Assemble"/>; the plan reads O(log n) nodes.
/// </summary>
public sealed class ProofPlan
{
    private readonly List<MerkleNodeId[]> _elements;

    private ProofPlan(List<MerkleNodeId[]> elements)
    {
        _elements = elements;
        Nodes = [.. elements.SelectMany(e => e).Distinct()];
    }

    /// <summary>Every node whose hash the proof needs, without duplicates.</summary>
    public IReadOnlyList<MerkleNodeId> Nodes { get; }

    /// <summary>Number of hashes in the finished proof.</summary>
    public int ProofLength => _elements.Count;

    /// <summary>Builds the proof hashes (bottom-up, as RFC 9162 orders them) from the fetched node hashes.</summary>
    public byte[][] Assemble(Func<MerkleNodeId, byte[]> hashOf)
    {
        ArgumentNullException.ThrowIfNull(hashOf);
        var proof = new byte[_elements.Count][];
        for (var i = 0; i < _elements.Count; i++)
        {
            var parts = _elements[i];
            // Border subtree: fold right to left, which is MTH's split at the largest power of two.
            var hash = hashOf(parts[^1]);
            for (var j = parts.Length - 2; j >= 0; j--) hash = MerkleHash.Children(hashOf(parts[j]), hash);
            proof[i] = hash;
        }
        return proof;
    }

    /// <summary>RFC 9162 §2.1.3.1 PATH(index, D[0:size]). Requires 0 ≤ index &lt; size.</summary>
    public static ProofPlan Inclusion(long index, long size)
    {
        if (index < 0 || index >= size)
            throw new ArgumentOutOfRangeException(nameof(index), $"leaf {index} is not in a tree of size {size}");
        var elements = new List<MerkleNodeId[]>();
        Path(index, 0, size, elements);
        return new ProofPlan(elements);
    }

    /// <summary>RFC 9162 §2.1.4.1 PROOF(size1, D[0:size2]). Requires 0 ≤ size1 ≤ size2; empty when size1 is 0 or
    /// equal to size2.</summary>
    public static ProofPlan Consistency(long size1, long size2)
    {
        if (size1 < 0 || size1 > size2)
            throw new ArgumentOutOfRangeException(nameof(size1), $"cannot prove size {size1} consistent with size {size2}");
        var elements = new List<MerkleNodeId[]>();
        if (size1 > 0 && size1 < size2) SubProof(size1, 0, size2, true, elements);
        return new ProofPlan(elements);
    }

    private static void Path(long m, long begin, long end, List<MerkleNodeId[]> elements)
    {
        if (end - begin == 1) return;
        var k = LargestPowerOfTwoBelow(end - begin);
        if (m < begin + k)
        {
            Path(m, begin, begin + k, elements);
            elements.Add(Subtree(begin + k, end));
        }
        else
        {
            Path(m, begin + k, end, elements);
            elements.Add(Subtree(begin, begin + k));
        }
    }

    private static void SubProof(long m, long begin, long end, bool startsAtOldRoot, List<MerkleNodeId[]> elements)
    {
        var n = end - begin;
        if (m == n)
        {
            if (!startsAtOldRoot) elements.Add(Subtree(begin, end));
            return;
        }
        var k = LargestPowerOfTwoBelow(n);
        if (m <= k)
        {
            SubProof(m, begin, begin + k, startsAtOldRoot, elements);
            elements.Add(Subtree(begin + k, end));
        }
        else
        {
            SubProof(m - k, begin + k, end, false, elements);
            elements.Add(Subtree(begin, begin + k));
        }
    }

    /// <summary>The perfect subtrees making up leaves [begin, end), left to right; begin is always aligned to a
    /// power of two at least as large as the range in the recursions above.</summary>
    private static MerkleNodeId[] Subtree(long begin, long end)
    {
        var parts = new List<MerkleNodeId>();
        var length = end - begin;
        for (var level = 62; level >= 0; level--)
        {
            if ((length & (1L << level)) == 0) continue;
            parts.Add(new MerkleNodeId(level, begin >> level));
            begin += 1L << level;
        }
        return [.. parts];
    }

    /// <summary>The k of RFC 9162: the largest power of two strictly smaller than n (n ≥ 2).</summary>
    internal static long LargestPowerOfTwoBelow(long n) => 1L << (int)(63 - long.LeadingZeroCount(n - 1));
}
