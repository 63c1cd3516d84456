namespace Attest.Core.Transparency;

/// <summary>
/// The right frontier of an RFC 6962 tree over leaves [0, Size): one hash per set bit of Size, largest
/// (leftmost) subtree first. Appending touches at most log2(Size) hashes and reports every perfect subtree it
/// completes, so a store can persist them and later serve proofs in O(log n) reads.
/// </summary>
public sealed class CompactRange
{
    private readonly List<byte[]> _hashes;

    public CompactRange() => _hashes = [];

    private CompactRange(long size, List<byte[]> hashes)
    {
        Size = size;
        _hashes = hashes;
    }

    public long Size { get; private set; }

    /// <summary>The frontier hashes, left to right; their ids are <see cref="FrontierIds"/>(Size).</summary>
    public IReadOnlyList<byte[]> Hashes => _hashes;

    /// <summary>Rebuilds a range from the hashes of <see cref="FrontierIds"/>(size), in that order.</summary>
    public static CompactRange FromFrontier(long size, IReadOnlyList<byte[]> hashes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentNullException.ThrowIfNull(hashes);
        var expected = long.PopCount(size);
        if (hashes.Count != expected)
            throw new ArgumentException($"a tree of size {size} has {expected} frontier hashes, got {hashes.Count}", nameof(hashes));
        var copy = new List<byte[]>(hashes.Count);
        foreach (var hash in hashes)
        {
            if (hash.Length != MerkleHash.Size) throw new ArgumentException("frontier hashes are 32 bytes", nameof(hashes));
            copy.Add((byte[])hash.Clone());
        }
        return new CompactRange(size, copy);
    }

    /// <summary>Ids of the perfect subtrees whose hashes make up the frontier of a tree of <paramref name="size"/>,
    /// left to right.</summary>
    public static IReadOnlyList<MerkleNodeId> FrontierIds(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var ids = new List<MerkleNodeId>();
        long begin = 0;
        for (var level = 62; level >= 0; level--)
        {
            if ((size & (1L << level)) == 0) continue;
            ids.Add(new MerkleNodeId(level, begin >> level));
            begin += 1L << level;
        }
        return ids;
    }

    /// <summary>Appends one leaf hash. Every perfect subtree of level ≥ 1 that this leaf completes is passed to
    /// <paramref name="completed"/> bottom-up (the leaf itself, level 0, is not).</summary>
    public void Append(ReadOnlySpan<byte> leafHash, Action<MerkleNodeId, byte[]>? completed = null)
    {
        if (leafHash.Length != MerkleHash.Size) throw new ArgumentException("leaf hashes are 32 bytes", nameof(leafHash));
        if (Size == long.MaxValue) throw new InvalidOperationException("tree is full");
        var hash = leafHash.ToArray();
        var index = Size;
        var level = 0;
        // A node whose index is odd is a right child: merge it with the frontier hash to its left.
        while ((index & 1) == 1)
        {
            hash = MerkleHash.Children(_hashes[^1], hash);
            _hashes.RemoveAt(_hashes.Count - 1);
            index >>= 1;
            level++;
            completed?.Invoke(new MerkleNodeId(level, index), hash);
        }
        _hashes.Add(hash);
        Size++;
    }

    /// <summary>MTH of leaves [0, Size).</summary>
    public byte[] Root()
    {
        if (_hashes.Count == 0) return MerkleHash.EmptyRoot();
        var root = _hashes[^1];
        for (var i = _hashes.Count - 2; i >= 0; i--) root = MerkleHash.Children(_hashes[i], root);
        return root;
    }

    public CompactRange Clone() => new(Size, [.. _hashes]);
}
