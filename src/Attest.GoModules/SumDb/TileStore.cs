using Attest.Core.Transparency;

namespace Attest.GoModules.SumDb;

/// <summary>Stored hashes of the checksum database's tree, read from cached H=8 tiles
/// (<c>&lt;sumdb cache&gt;/&lt;name&gt;/tile/8/L/N[.p/W]</c>). A node at level <c>8·T + r</c> is the Merkle hash of
/// <c>2^r</c> consecutive hashes of tile level T. Nothing read here is trusted by itself: callers verify what they
/// use against a signed tree root (inclusion and consistency proofs).</summary>
public sealed class TileStore
{
    private readonly Dictionary<(int Level, long Index), List<(int Width, string Path)>> _tiles = [];
    private readonly Dictionary<string, byte[]?> _loaded = new(StringComparer.Ordinal);
    private readonly GoModulesLimits _limits;

    public TileStore(string tileRoot, GoModulesLimits? limits = null)
    {
        _limits = limits ?? GoModulesLimits.Default;
        var root = Path.Combine(tileRoot, "8");
        if (!Directory.Exists(root)) return;
        foreach (var file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Take(_limits.MaxModules))
        {
            var rel = "tile/" + Path.GetRelativePath(tileRoot, file).Replace(Path.DirectorySeparatorChar, '/');
            if (!SumDbTile.TryParsePath(rel, out var tile) || tile.Level < 0) continue;
            if (!_tiles.TryGetValue((tile.Level, tile.Index), out var list)) _tiles[(tile.Level, tile.Index)] = list = [];
            list.Add((tile.Width, file));
        }
        foreach (var list in _tiles.Values) list.Sort((a, b) => a.Width.CompareTo(b.Width));
    }

    public int TileCount => _tiles.Values.Sum(l => l.Count);

    /// <summary>Every cached tile of height 8.</summary>
    public IEnumerable<(int Level, long Index, int Width, string Path)> Tiles =>
        _tiles.SelectMany(kv => kv.Value.Select(t => (kv.Key.Level, kv.Key.Index, t.Width, t.Path)));

    /// <summary>The hashes stored in one tile file (W × 32 bytes), or null when it cannot be read or has the wrong size.</summary>
    public byte[]? Entries(string path, int width) => Load(path, width);

    /// <summary>The Merkle root of a run of 32-byte hashes whose count is a power of two.</summary>
    public static byte[] SubtreeRoot(ReadOnlySpan<byte> hashes) => Subtree(hashes);

    /// <summary>The hash of the perfect subtree <paramref name="node"/>, or null when no cached tile holds it.</summary>
    public byte[]? Hash(MerkleNodeId node)
    {
        var tileLevel = node.Level / SumDbTile.GoHeight;
        var r = node.Level % SumDbTile.GoHeight;
        var start = node.Index << r;
        var index = start >> SumDbTile.GoHeight;
        var offset = (int)(start & ((1 << SumDbTile.GoHeight) - 1));
        var count = 1 << r;
        if (!_tiles.TryGetValue((tileLevel, index), out var candidates)) return null;
        foreach (var (width, path) in candidates)
        {
            if (width < offset + count) continue;
            var data = Load(path, width);
            if (data is null) continue;
            return Subtree(data.AsSpan(offset * MerkleHash.Size, count * MerkleHash.Size));
        }
        return null;
    }

    private byte[]? Load(string path, int width)
    {
        if (_loaded.TryGetValue(path, out var cached)) return cached;
        var data = TextLines.ReadBounded(path, Math.Min(_limits.MaxSumDbFileBytes, width * MerkleHash.Size), out _);
        if (data is not null && data.Length != width * MerkleHash.Size) data = null;
        _loaded[path] = data;
        return data;
    }

    private static byte[] Subtree(ReadOnlySpan<byte> hashes)
    {
        var count = hashes.Length / MerkleHash.Size;
        if (count == 1) return hashes.ToArray();
        var half = count / 2;
        return MerkleHash.Children(Subtree(hashes[..(half * MerkleHash.Size)]), Subtree(hashes[(half * MerkleHash.Size)..]));
    }
}
