using System.Globalization;
using System.Text;

namespace Attest.GoModules.SumDb;

/// <summary>A tile of the Go checksum database's tiled log (x/mod <c>sumdb/tlog</c> Tile): height H, level L
/// (−1 for record data), index N, width W (1..2^H). The path is <c>tile/H/L/N[.p/W]</c> with N written in
/// 3-digit groups, every group but the last prefixed with <c>x</c>; only the canonical spelling parses.
/// Note: this is the sumdb layout (with an <c>H/</c> element), not C2SP tlog-tiles.</summary>
public readonly record struct SumDbTile(int Height, int Level, long Index, int Width)
{
    public const int GoHeight = 8;

    public string Path
    {
        get
        {
            var builder = new StringBuilder("tile/");
            builder.Append(Height.ToString(CultureInfo.InvariantCulture)).Append('/');
            builder.Append(Level < 0 ? "data" : Level.ToString(CultureInfo.InvariantCulture)).Append('/');
            var n = Index;
            var groups = new List<string>();
            do
            {
                groups.Add((n % 1000).ToString("000", CultureInfo.InvariantCulture));
                n /= 1000;
            }
            while (n > 0);
            groups.Reverse();
            for (var i = 0; i < groups.Count; i++)
            {
                if (i > 0) builder.Append('/');
                if (i < groups.Count - 1) builder.Append('x');
                builder.Append(groups[i]);
            }
            if (Width != 1 << Height) builder.Append(".p/").Append(Width.ToString(CultureInfo.InvariantCulture));
            return builder.ToString();
        }
    }

    public static bool TryParsePath(string path, out SumDbTile tile)
    {
        tile = default;
        var parts = path.Split('/');
        if (parts.Length < 4 || parts[0] != "tile") return false;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var height) || height is < 1 or > 30) return false;
        int level;
        if (parts[2] == "data") level = -1;
        else if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out level) || level > 63) return false;
        var width = 1 << height;
        var last = parts.Length - 1;
        if (parts.Length >= 5 && parts[^2].EndsWith(".p", StringComparison.Ordinal))
        {
            if (!int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out width) || width < 1 || width >= 1 << height) return false;
            parts[^2] = parts[^2][..^2];
            last = parts.Length - 2;
        }
        long n = 0;
        for (var i = 3; i <= last; i++)
        {
            var group = parts[i];
            if (i < last)
            {
                if (!group.StartsWith('x')) return false;
                group = group[1..];
            }
            if (group.Length != 3 || !group.All(char.IsAsciiDigit)) return false;
            var value = int.Parse(group, CultureInfo.InvariantCulture);
            if (n > (long.MaxValue - value) / 1000) return false; // an index no tree can reach
            n = n * 1000 + value;
        }
        tile = new SumDbTile(height, level, n, width);
        return tile.Path == path; // canonical spelling only (no superfluous leading groups)
    }
}
