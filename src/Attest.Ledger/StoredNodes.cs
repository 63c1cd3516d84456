using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>Where a log's row keeps its Merkle nodes: node (L, j) lives in the row of its last leaf, level 0 as the
/// leaf hash and level L ≥ 1 as the (L-1)-th 32-byte slice of the subtree hashes that append completed.</summary>
internal static class StoredNodes
{
    /// <summary>The node's hash from its row, or null when the row is too short to hold it.</summary>
    public static byte[]? FromRow(MerkleNodeId id, byte[] leafHash, byte[] subtreeHashes)
    {
        var stored = id.Level == 0 ? leafHash : subtreeHashes;
        var offset = id.Level == 0 ? 0 : (id.Level - 1) * MerkleHash.Size;
        return stored.Length >= offset + MerkleHash.Size ? stored[offset..(offset + MerkleHash.Size)] : null;
    }
}
