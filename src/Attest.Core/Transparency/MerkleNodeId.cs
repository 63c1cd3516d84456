namespace Attest.Core.Transparency;

/// <summary>A perfect subtree of an RFC 6962 tree: level 0 is a leaf, level L covers leaves
/// [Index * 2^L, (Index + 1) * 2^L). Stores persist hashes under these ids.</summary>
public readonly record struct MerkleNodeId
{
    public MerkleNodeId(int level, long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 63);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        Level = level;
        Index = index;
    }

    public int Level { get; }

    public long Index { get; }

    /// <summary>First leaf index covered by this subtree.</summary>
    public long FirstLeaf => Index << Level;

    public override string ToString() => $"{Level}/{Index}";
}
