using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>
/// Merkle nodes a ledger keeps in memory so that the inclusion proof a caller asks for right after its append needs no
/// database read: the leaf and completed-subtree hashes of the last <c>capacity</c> entries this process committed (what
/// the store keeps with each row), and every node of level <see cref="HighLevel"/> or above that it committed or read
/// (the few that span older entries: two per 2^14 entries). A node is immutable once its last entry is committed, so
/// either copy is the one the store holds; anything else is read from the store, as before. Thread-safe.
/// </summary>
internal sealed class RecentMerkleNodes(IMerkleNodeReader store, int capacity) : IMerkleNodeReader
{
    /// <summary>Nodes at and above this level are kept without limit of age (a proof for a recent entry needs at most
    /// one per level, and a ring of 2^14 entries holds every lower one it needs).</summary>
    public const int HighLevel = 14;

    /// <summary>High nodes kept at most (two per 2^14 entries: enough for half a billion).</summary>
    private const int MaxHighNodes = 1 << 16;

    /// <summary>Hashes kept per ring slot: the leaf, then the subtrees of levels 1 to <see cref="HighLevel"/> - 1 the
    /// entry completed (flat arrays allocated once: a ring of small objects would churn the garbage collector).</summary>
    private const int HashesPerSlot = HighLevel;

    private readonly Lock _lock = new();
    private readonly long[] _indexes = Enumerable.Repeat(-1L, capacity).ToArray();
    private readonly byte[] _levels = new byte[capacity];
    private readonly byte[] _hashes = new byte[capacity * HashesPerSlot * MerkleHash.Size];
    private readonly Dictionary<MerkleNodeId, byte[]> _high = [];

    /// <summary>Keeps the nodes of a committed row.</summary>
    public void Committed(LedgerRow row)
    {
        var index = row.Entry.Index;
        if (row.LeafHash.Length != MerkleHash.Size || row.SubtreeHashes.Length % MerkleHash.Size != 0) return;
        // The row completes the subtrees of levels 1..t that end at its index.
        var completed = row.SubtreeHashes.Length / MerkleHash.Size;
        var kept = Math.Min(completed, HashesPerSlot - 1);
        var slot = (int)(index % capacity);
        lock (_lock)
        {
            _indexes[slot] = index;
            _levels[slot] = (byte)kept;
            var at = slot * HashesPerSlot * MerkleHash.Size;
            row.LeafHash.CopyTo(_hashes, at);
            row.SubtreeHashes.AsSpan(0, kept * MerkleHash.Size).CopyTo(_hashes.AsSpan(at + MerkleHash.Size));
            for (var level = HighLevel; level <= completed; level++)
                KeepHigh(new MerkleNodeId(level, index >> level), row.SubtreeHashes.AsSpan((level - 1) * MerkleHash.Size, MerkleHash.Size).ToArray());
        }
    }

    public async Task<IReadOnlyList<byte[]>> ReadNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var hashes = new byte[ids.Count][];
        List<int>? missing = null;
        lock (_lock)
        {
            for (var i = 0; i < ids.Count; i++)
            {
                if (TryGet(ids[i]) is { } hash) hashes[i] = hash;
                else (missing ??= []).Add(i);
            }
        }
        if (missing is null) return hashes;
        var read = await store.ReadNodesAsync([.. missing.Select(i => ids[i])], cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            for (var k = 0; k < missing.Count; k++)
            {
                var id = ids[missing[k]];
                hashes[missing[k]] = read[k];
                if (id.Level >= HighLevel) KeepHigh(id, read[k]);
            }
        }
        return hashes;
    }

    private byte[]? TryGet(MerkleNodeId id)
    {
        if (id.Level >= HighLevel) return _high.GetValueOrDefault(id);
        // Node (L, j) is kept with the entry whose append completed it: its last leaf.
        var last = id.LastLeaf;
        var slot = (int)(last % capacity);
        if (_indexes[slot] != last || id.Level > _levels[slot]) return null;
        var at = (slot * HashesPerSlot + id.Level) * MerkleHash.Size;
        return _hashes[at..(at + MerkleHash.Size)];
    }

    private void KeepHigh(MerkleNodeId id, byte[] hash)
    {
        if (_high.Count < MaxHighNodes) _high[id] = hash;
    }
}
