using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using Attest.Core;
using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>
/// <c>attest ledger verify --url</c>: audits a log served over HTTP in the layout <see cref="LedgerExporter"/> writes
/// (c2sp.org/tlog-tiles: <c>checkpoint</c>, <c>tile/L/N[.p/W]</c>, <c>tile/entries/N[.p/W]</c>). Checks the checkpoint
/// signature, reads every entry bundle, checks each entry's own index, rebuilds the tree, compares every served hash
/// tile with the rebuilt one (so a leaf that no longer matches its served leaf hash is named exactly) and the root
/// with the signed one. Trusts nothing the server sends except what the configured keys signed.
/// </summary>
public static class LedgerTileAuditor
{
    /// <summary>A full bundle: 256 entries, each at most <see cref="LedgerLimits.MaxEntryBytes"/> plus its 2-byte length.</summary>
    private const int MaxBundleBytes = TileLayout.TileWidth * (2 + LedgerLimits.MaxEntryBytes);

    private const int MaxTileBytes = TileLayout.TileWidth * MerkleHash.Size;

    public static async Task<LedgerAuditReport> AuditAsync(HttpClient http, Uri baseUrl, LedgerAuditOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(options);
        if (!baseUrl.AbsoluteUri.EndsWith('/')) baseUrl = new Uri(baseUrl.AbsoluteUri + "/");
        var findings = new List<Finding>();
        long? firstBad = null;
        void Bad(long index, string code, string message, Dictionary<string, string>? evidence = null)
        {
            evidence ??= [];
            evidence["index"] = Str(index);
            findings.Add(new Finding(code, message, evidence));
            firstBad = firstBad is { } f ? Math.Min(f, index) : index;
        }

        var note = await FetchAsync(http, new Uri(baseUrl, "checkpoint"), TransparencyLimits.MaxNoteBytes, cancellationToken).ConfigureAwait(false);
        if (note is null)
        {
            findings.Add(new Finding(LedgerCodes.CheckpointNone, $"no checkpoint at {new Uri(baseUrl, "checkpoint")}"));
            return new LedgerAuditReport(0, 0, 0, null, findings);
        }
        if (!LedgerTrust.TryOpenCheckpoint(note, options, out var checkpoint, out var refusal))
        {
            findings.Add(refusal);
            return new LedgerAuditReport(0, 1, 0, null, findings);
        }

        var size = checkpoint.Size;
        var range = new CompactRange();
        var levels = TileLayout.Levels(size);
        var tiles = Enumerable.Range(0, levels).Select(_ => new List<byte[]>(TileLayout.TileWidth)).ToArray();
        var tileIndex = new long[levels];
        var nodeProblem = false;
        var stopped = false;
        for (long bundle = 0; bundle * TileLayout.TileWidth < size && !stopped; bundle++)
        {
            var first = bundle * TileLayout.TileWidth;
            var width = (int)Math.Min(TileLayout.TileWidth, size - first);
            options.Progress?.Report(first);
            var path = TileLayout.EntryBundlePath(bundle, width);
            var bytes = await FetchAsync(http, new Uri(baseUrl, path), MaxBundleBytes, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                Bad(first, LedgerCodes.EntryMissing, $"entry bundle {path} is missing", new Dictionary<string, string> { ["path"] = path });
                break;
            }
            var entries = SplitBundle(bytes, width, out var bundleError);
            if (entries is null)
            {
                Bad(first + (bundleError.Count), LedgerCodes.EntryMalformed, $"entry bundle {path}: {bundleError.Message}", new Dictionary<string, string> { ["path"] = path });
                break;
            }
            // Level-0 tile of this bundle: the served leaf hashes, to name a changed entry exactly.
            var leafTilePath = TileLayout.TilePath(0, bundle, width);
            var servedLeaves = await FetchAsync(http, new Uri(baseUrl, leafTilePath), MaxTileBytes, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < entries.Count; i++)
            {
                var index = first + i;
                if (!LedgerEntryCodec.TryReadIndex(entries[i].Span, out var entryIndex, out var parseError))
                {
                    Bad(index, LedgerCodes.EntryMalformed, $"entry {index} cannot be read: {parseError}");
                    stopped = true;
                    break;
                }
                if (entryIndex != index)
                {
                    Bad(index, LedgerCodes.EntryIndexMismatch, $"position {index} holds the entry written as {entryIndex}",
                        new Dictionary<string, string> { ["entryIndex"] = Str(entryIndex) });
                    stopped = true;
                    break;
                }
                var leaf = MerkleHash.Leaf(entries[i].Span);
                if (servedLeaves is { Length: var length } && length == width * MerkleHash.Size &&
                    !servedLeaves.AsSpan(i * MerkleHash.Size, MerkleHash.Size).SequenceEqual(leaf))
                {
                    Bad(index, LedgerCodes.EntryLeafHashMismatch, $"entry {index} does not hash to its leaf hash in {leafTilePath}",
                        new Dictionary<string, string> { ["path"] = leafTilePath, ["calculated"] = Convert.ToHexStringLower(leaf) });
                    stopped = true;
                    break;
                }
                tiles[0].Add(leaf);
                range.Append(leaf, (id, hash) =>
                {
                    if (id.Level % TileLayout.TileHeight == 0) tiles[id.Level / TileLayout.TileHeight].Add(hash);
                });
            }
            if (stopped) break;
            // Compare every tile this bundle completed (and, at the end, the partial ones) with what is served.
            for (var level = 0; level < levels; level++)
            {
                var full = tiles[level].Count == TileLayout.TileWidth;
                var last = range.Size == size && tiles[level].Count > 0;
                if (!full && !last) continue;
                var tilePath = TileLayout.TilePath(level, tileIndex[level], tiles[level].Count);
                var expected = tiles[level].SelectMany(h => h).ToArray();
                var served = level == 0 ? servedLeaves : await FetchAsync(http, new Uri(baseUrl, tilePath), MaxTileBytes, cancellationToken).ConfigureAwait(false);
                if (!nodeProblem && (served is null || !served.AsSpan().SequenceEqual(expected)))
                {
                    nodeProblem = true;
                    findings.Add(new Finding(LedgerCodes.NodeMismatch, served is null ? $"hash tile {tilePath} is missing" : $"hash tile {tilePath} differs from the rebuilt tree",
                        new Dictionary<string, string> { ["path"] = tilePath }));
                }
                if (full) tileIndex[level]++;
                tiles[level].Clear();
            }
        }

        long verified = 0;
        if (!stopped && range.Size == size)
        {
            var root = range.Root();
            if (root.AsSpan().SequenceEqual(checkpoint.RootHash)) verified = size;
            else
                Bad(0, LedgerCodes.CheckpointRootMismatch, $"the entries served do not hash to the signed root of size {size}; an entry in [0, {size}) was rewritten",
                    new Dictionary<string, string>
                    {
                        ["size"] = Str(size), ["expectedRoot"] = Convert.ToHexStringLower(checkpoint.RootHash), ["calculatedRoot"] = Convert.ToHexStringLower(root),
                    });
        }
        return new LedgerAuditReport(range.Size, 1, verified, firstBad, findings);
    }

    /// <summary>tlog-tiles entry bundle: entries each prefixed by a big-endian uint16 length, exactly
    /// <paramref name="width"/> of them. Null (with how many were read) when the bytes are not that.</summary>
    private static List<ReadOnlyMemory<byte>>? SplitBundle(byte[] bytes, int width, out (int Count, string Message) error)
    {
        var entries = new List<ReadOnlyMemory<byte>>(width);
        var at = 0;
        while (at < bytes.Length)
        {
            if (entries.Count == width || bytes.Length - at < 2)
            {
                error = (entries.Count, $"trailing bytes after {entries.Count} entries");
                return null;
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at, 2));
            at += 2;
            if (bytes.Length - at < length)
            {
                error = (entries.Count, $"entry {entries.Count} is cut short");
                return null;
            }
            entries.Add(bytes.AsMemory(at, length));
            at += length;
        }
        if (entries.Count != width)
        {
            error = (entries.Count, $"holds {entries.Count} entries, expected {width}");
            return null;
        }
        error = default;
        return entries;
    }

    /// <summary>The body, or null for 404; other failures throw. Never reads more than <paramref name="limit"/> bytes.</summary>
    private static async Task<byte[]?> FetchAsync(HttpClient http, Uri url, int limit, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"GET {url} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        if (response.Content.Headers.ContentLength > limit) throw new InvalidDataException($"{url} is larger than {limit} bytes");
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await Attest.Core.IO.BoundedRead.ReadAllAsync(body, limit, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"{url} is larger than {limit} bytes");
    }

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);
}
