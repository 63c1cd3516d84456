using System.Globalization;
using System.Text;

namespace Attest.Core.Transparency;

/// <summary>
/// c2sp.org/tlog-tiles paths: tiles of 256 hashes (level L tile N holds the subtree hashes of tree level 8·L,
/// indices 256·N …), entry bundles of 256 entries, and partial tiles suffixed <c>.p/W</c>. Pure functions.
/// </summary>
public static class TileLayout
{
    public const int TileHeight = 8;
    public const int TileWidth = 1 << TileHeight;

    /// <summary><c>tile/L/N[.p/W]</c>; W is written only for partial tiles (1..255).</summary>
    public static string TilePath(int level, long index, int width = TileWidth) =>
        $"tile/{level.ToString(CultureInfo.InvariantCulture)}/{EncodeIndex(index)}{PartialSuffix(width)}";

    /// <summary><c>tile/entries/N[.p/W]</c>.</summary>
    public static string EntryBundlePath(long index, int width = TileWidth) => $"tile/entries/{EncodeIndex(index)}{PartialSuffix(width)}";

    /// <summary>Index as 3-digit groups, every group but the last prefixed with <c>x</c>: 1234067 → x001/x234/067.</summary>
    public static string EncodeIndex(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var groups = new List<string>();
        do
        {
            groups.Add((index % 1000).ToString("000", CultureInfo.InvariantCulture));
            index /= 1000;
        }
        while (index > 0);
        groups.Reverse();
        var sb = new StringBuilder();
        for (var i = 0; i < groups.Count; i++)
        {
            if (i > 0) sb.Append('/');
            if (i < groups.Count - 1) sb.Append('x');
            sb.Append(groups[i]);
        }
        return sb.ToString();
    }

    /// <summary>Number of tile levels a tree of <paramref name="size"/> has (0 for an empty tree).</summary>
    public static int Levels(long size)
    {
        var levels = 0;
        for (var count = size; count > 0; count >>= TileHeight) levels++;
        return levels;
    }

    private static string PartialSuffix(int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, TileWidth);
        return width == TileWidth ? "" : $".p/{width.ToString(CultureInfo.InvariantCulture)}";
    }
}
