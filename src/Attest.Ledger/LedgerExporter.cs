using System.Buffers.Binary;
using System.Text;
using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>What an export wrote.</summary>
public sealed record LedgerExportResult(long Entries, long TreeSize, int TileFiles, int BundleFiles);

/// <summary>
/// Writes a ledger as static files: <c>entries.jsonl</c> (every entry), and for the tree of the latest verified
/// checkpoint the c2sp.org/tlog-tiles layout (<c>checkpoint</c>, <c>tile/L/N</c>, <c>tile/entries/N</c>), so the
/// log can be served as-is and checked by standard tlog tools. Hashes are recomputed from the entries, and nothing
/// is written unless the recomputed root matches the signed checkpoint.
/// </summary>
public static class LedgerExporter
{
    public static async Task<LedgerExportResult> ExportAsync(ILedgerStore store, LedgerAuditOptions trust, string directory,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(trust);
        var latest = await store.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the ledger has no checkpoint yet; nothing can be exported as a verifiable log");
        if (!LedgerTrust.TryOpenCheckpoint(Encoding.UTF8.GetBytes(latest.Note), trust, out var checkpoint, out var refusal))
            throw new LedgerCorruptException($"the latest checkpoint is refused: {refusal.Message}");

        // Stage into a sibling directory and move it into place at the end, so a failed export leaves nothing.
        var target = Path.GetFullPath(directory);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new IOException($"{target} exists and is not empty");
        var staging = target + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(staging);
        try
        {
            var result = await WriteAsync(store, checkpoint, latest.Note, staging, trust.Progress, cancellationToken).ConfigureAwait(false);
            if (Directory.Exists(target)) Directory.Delete(target);
            Directory.Move(staging, target);
            return result;
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    private static async Task<LedgerExportResult> WriteAsync(ILedgerStore store, Checkpoint checkpoint, string note, string dir, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        var size = checkpoint.Size;
        var range = new CompactRange();
        var levels = TileLayout.Levels(size);
        var tiles = Enumerable.Range(0, levels).Select(_ => new List<byte[]>(TileLayout.TileWidth)).ToArray();
        var tileIndex = new long[levels];
        var bundle = new List<byte[]>(TileLayout.TileWidth);
        long bundleIndex = 0;
        var tileFiles = 0;
        var bundleFiles = 0;
        long entries = 0;

        await using var jsonl = new StreamWriter(Path.Combine(dir, "entries.jsonl"), false, new UTF8Encoding(false));
        await foreach (var row in store.ReadEntriesAsync(0, long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            if (row.Index != entries) throw new LedgerCorruptException($"entry {entries} is missing; run verify");
            if (row.Body.Length > LedgerLimits.MaxEntryBytes) throw new LedgerCorruptException($"entry {row.Index} exceeds the entry size limit");
            await jsonl.WriteLineAsync(Encoding.UTF8.GetString(row.Body).AsMemory(), cancellationToken).ConfigureAwait(false);
            entries++;
            if (entries % 1024 == 0) progress?.Report(entries);
            if (row.Index >= size) continue; // after the checkpoint: in entries.jsonl, not yet in the signed tree

            var leaf = MerkleHash.Leaf(row.Body);
            AddHash(0, leaf);
            range.Append(leaf, (id, hash) =>
            {
                if (id.Level % TileLayout.TileHeight == 0) AddHash(id.Level / TileLayout.TileHeight, hash);
            });
            bundle.Add(row.Body);
            if (bundle.Count == TileLayout.TileWidth) await FlushBundleAsync().ConfigureAwait(false);
        }
        if (range.Size != size) throw new LedgerCorruptException($"the checkpoint covers {size} entries, the log has {range.Size}");
        if (!range.Root().AsSpan().SequenceEqual(checkpoint.RootHash))
            throw new LedgerCorruptException("the entries do not hash to the signed checkpoint root; run verify");

        if (bundle.Count > 0) await FlushBundleAsync().ConfigureAwait(false);
        for (var level = 0; level < levels; level++)
            if (tiles[level].Count > 0) await FlushTileAsync(level).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(dir, "checkpoint"), note, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        return new LedgerExportResult(entries, size, tileFiles, bundleFiles);

        void AddHash(int level, byte[] hash)
        {
            tiles[level].Add(hash);
            // Full tiles are written as they fill; keeps memory at one tile per level.
            if (tiles[level].Count == TileLayout.TileWidth) FlushTileAsync(level).GetAwaiter().GetResult();
        }

        async Task FlushTileAsync(int level)
        {
            var path = Path.Combine(dir, TileLayout.TilePath(level, tileIndex[level], tiles[level].Count));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, tiles[level].SelectMany(h => h).ToArray(), cancellationToken).ConfigureAwait(false);
            tileFiles++;
            if (tiles[level].Count == TileLayout.TileWidth) tileIndex[level]++;
            tiles[level].Clear();
        }

        async Task FlushBundleAsync()
        {
            var path = Path.Combine(dir, TileLayout.EntryBundlePath(bundleIndex, bundle.Count));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var buffer = new MemoryStream();
            Span<byte> length = stackalloc byte[2];
            foreach (var body in bundle)
            {
                // tlog-tiles entry bundles: each entry prefixed by its length as a big-endian uint16.
                BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)body.Length);
                buffer.Write(length);
                buffer.Write(body);
            }
            await File.WriteAllBytesAsync(path, buffer.ToArray(), cancellationToken).ConfigureAwait(false);
            bundleFiles++;
            if (bundle.Count == TileLayout.TileWidth) bundleIndex++;
            bundle.Clear();
        }
    }
}
