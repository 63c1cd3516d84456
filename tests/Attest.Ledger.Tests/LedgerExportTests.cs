using System.Buffers.Binary;
using System.Text;
using Attest.Core.Transparency;
using Attest.Testing;

namespace Attest.Ledger.Tests;

public class LedgerExportTests
{
    [Fact]
    public async Task Export_writes_tiles_and_bundles_that_rebuild_the_signed_root()
    {
        await using var fx = new LedgerFixture();
        await using (var ledger = await fx.OpenAsync())
        {
            await Task.WhenAll(Enumerable.Range(0, 600).Select(i => ledger.AppendAsync(LedgerFixture.Decision(i))));
            await ledger.CheckpointAsync();
            await ledger.AppendAsync(LedgerFixture.Decision(600)); // after the checkpoint: listed, not tiled
        }
        using var outDir = new TempDirectory("attest-export");
        var target = outDir.Combine("log");
        await using var store = await SqliteLedgerStore.OpenAsync(fx.Path);
        var result = await LedgerExporter.ExportAsync(store, fx.AuditOptions, target);
        Assert.Equal((601L, 600L), (result.Entries, result.TreeSize));

        // Level 0: two full tiles and a partial of 88; level 1: a partial of 2; bundles likewise.
        var leaves = ReadHashes(target, "tile/0/000").Concat(ReadHashes(target, "tile/0/001")).Concat(ReadHashes(target, "tile/0/002.p/88")).ToList();
        Assert.Equal(600, leaves.Count);
        var level1 = ReadHashes(target, "tile/1/000.p/2");
        var bodies = ReadBundle(target, "tile/entries/000").Concat(ReadBundle(target, "tile/entries/001")).Concat(ReadBundle(target, "tile/entries/002.p/88")).ToList();
        Assert.Equal(600, bodies.Count);
        for (var i = 0; i < 600; i++) Assert.Equal(MerkleHash.Leaf(bodies[i]), leaves[i]);
        for (var t = 0; t < 2; t++)
        {
            var subtree = new CompactRange();
            foreach (var leaf in leaves.Skip(t * 256).Take(256)) subtree.Append(leaf);
            Assert.Equal(subtree.Root(), level1[t]);
        }
        var tree = new CompactRange();
        foreach (var leaf in leaves) tree.Append(leaf);
        var note = await File.ReadAllBytesAsync(Path.Combine(target, "checkpoint"));
        Assert.True(Checkpoint.TryOpen(note, LedgerFixture.Origin, [fx.Signer.VerifierKey], out var checkpoint, out _));
        Assert.Equal(checkpoint.RootHash, tree.Root());
        Assert.Equal(601, File.ReadAllLines(Path.Combine(target, "entries.jsonl")).Length);
        Assert.Equal(4, result.TileFiles);
        Assert.Equal(3, result.BundleFiles);
    }

    [Fact]
    public async Task Export_refuses_a_log_whose_entries_do_not_match_the_checkpoint_and_leaves_nothing()
    {
        await using var fx = new LedgerFixture();
        await using (var ledger = await fx.OpenAsync())
        {
            await LedgerFixture.AppendSequentiallyAsync(ledger, 10);
            await ledger.CheckpointAsync();
        }
        await fx.TamperAsync("UPDATE entries SET body = CAST(replace(body, 'prod', 'test') AS BLOB) WHERE idx = 4");
        using var outDir = new TempDirectory("attest-export");
        await using var store = await SqliteLedgerStore.OpenAsync(fx.Path);
        await Assert.ThrowsAsync<LedgerCorruptException>(() => LedgerExporter.ExportAsync(store, fx.AuditOptions, outDir.Combine("log")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outDir.Path));
    }

    private static List<byte[]> ReadHashes(string root, string path)
    {
        var bytes = File.ReadAllBytes(Path.Combine(root, path));
        Assert.Equal(0, bytes.Length % MerkleHash.Size);
        return [.. bytes.Chunk(MerkleHash.Size)];
    }

    private static List<byte[]> ReadBundle(string root, string path)
    {
        var bytes = File.ReadAllBytes(Path.Combine(root, path));
        var entries = new List<byte[]>();
        for (var at = 0; at < bytes.Length;)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at));
            entries.Add(bytes[(at + 2)..(at + 2 + length)]);
            at += 2 + length;
        }
        Assert.All(entries, e => Assert.StartsWith("{", Encoding.UTF8.GetString(e), StringComparison.Ordinal));
        return entries;
    }
}
