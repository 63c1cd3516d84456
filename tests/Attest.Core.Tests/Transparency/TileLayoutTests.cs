using Attest.Core.Transparency;
using Attest.Testing;

namespace Attest.Core.Tests.Transparency;

public class TileLayoutTests
{
    [Fact]
    public void Index_encoding_matches_the_go_sumdb_tile_paths()
    {
        // tlog-vectors.txt lists Go's paths as tile/H/L/N; the N part is the same encoding C2SP uses.
        var lines = File.ReadAllLines(RepositoryPaths.Vectors("go", "tlog-vectors.txt"))
            .Where(l => l.StartsWith("Tile{", StringComparison.Ordinal) && !l.Contains("L:-1", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, lines.Count);
        foreach (var line in lines)
        {
            var fields = line[5..line.IndexOf('}', StringComparison.Ordinal)].Split(',').Select(f => f.Split(':')).ToDictionary(f => f[0], f => long.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture));
            var path = line[(line.IndexOf("<-> ", StringComparison.Ordinal) + 4)..].Trim();
            var afterLevel = string.Join('/', path.Split('/').Skip(3));
            var expectedIndex = afterLevel.Split(".p/")[0];
            Assert.Equal(expectedIndex, TileLayout.EncodeIndex(fields["N"]));
        }
    }

    [Fact]
    public void Tile_paths_follow_c2sp_tlog_tiles()
    {
        Assert.Equal("tile/0/x001/x234/067", TileLayout.TilePath(0, 1234067));
        Assert.Equal("tile/1/000.p/17", TileLayout.TilePath(1, 0, 17));
        Assert.Equal("tile/entries/273.p/112", TileLayout.EntryBundlePath(273, 112));
        Assert.Equal("tile/entries/x001/000", TileLayout.EntryBundlePath(1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileLayout.TilePath(0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileLayout.TilePath(0, 0, 257));
    }

    [Fact]
    public void Levels_counts_the_tile_levels_a_tree_needs()
    {
        // c2sp.org/tlog-tiles example: a tree of 70,000 has tiles at levels 0, 1 and 2.
        Assert.Equal(3, TileLayout.Levels(70_000));
        Assert.Equal([0, 1, 1, 2, 2, 3], new long[] { 0, 1, 255, 256, 65_535, 65_536 }.Select(TileLayout.Levels));
    }
}
