using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Attest.Core.Transparency;
using Attest.Ledger;
using Attest.Server.Hosting;

namespace Attest.Server.Audit;

/// <summary>
/// What streams from the ledger: the JSONL export, and the files <see cref="LedgerExporter"/> writes
/// (<c>checkpoint</c>, <c>entries.jsonl</c>, <c>tile/L/N[.p/W]</c>, <c>tile/entries/N[.p/W]</c>) served live from the
/// store for the tree of the latest checkpoint, byte for byte what an export at that moment would hold. Entries are
/// written as they are read, so memory stays bounded by one tile whatever the range.
/// </summary>
internal static class LedgerStreams
{
    public const string JsonLinesType = "application/jsonl";

    public static async Task<IResult> ExportAsync(HttpContext context, AuditLedger ledger, CancellationToken cancellationToken)
    {
        var p = AuditParameters.Read(context.Request, "start", "end");
        var start = p.Integer("start", 0, long.MaxValue - 1, 0) ?? 0;
        var end = p.Integer("end", 0, long.MaxValue);
        if (!p.Failed && end < start) p.Fail($"'end' ({end}) must not be smaller than 'start' ({start}); the range is start ≤ index < end");
        if (p.Failed) return AuditEndpoints.BadRequest(p.Error);
        var store = ledger.Store;
        var size = await store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
        if (end > size) return AuditEndpoints.NotFound($"'end' ({end}) is beyond the ledger, which holds {size} entries");
        if (start > size) return AuditEndpoints.NotFound($"'start' ({start}) is beyond the ledger, which holds {size} entries");
        return new JsonLinesResult(store, start, end ?? size, "attest-ledger.jsonl");
    }

    public static async Task<IResult> GetLogFileAsync(HttpContext context, string? path, AuditLedger ledger, Witnessing.PublishedCheckpoints published,
        CancellationToken cancellationToken)
    {
        var p = AuditParameters.Read(context.Request);
        if (p.Failed) return AuditEndpoints.BadRequest(p.Error);
        path ??= "";
        if (path == "entries.jsonl")
            return new JsonLinesResult(ledger.Store, 0, await ledger.Store.GetSizeAsync(cancellationToken).ConfigureAwait(false), null);

        var latest = await ledger.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (path == "checkpoint")
        {
            // With witnesses required, the newest checkpoint they cosigned (the tree below it is served as well).
            var served = await published.WitnessedAsync(cancellationToken).ConfigureAwait(false);
            if (latest is null || served is null) return AuditEndpoints.NotFound("the ledger has no signed (and, where required, witnessed) checkpoint yet");
            context.Response.Headers.CacheControl = "no-cache";
            return Results.Text(served.Note, "text/plain; charset=utf-8", Encoding.UTF8);
        }
        if (!TryParseTilePath(path, out var level, out var tile, out var width, out var problem))
            return AuditEndpoints.NotFound($"'{AuditEndpoints.Clip(path)}' is not a file of the log: {problem}");
        var size = latest?.Size ?? 0;
        // Tiles and bundles exist only inside the signed tree; full ones never change, partial ones are superseded.
        context.Response.Headers.CacheControl = width == TileLayout.TileWidth ? "private, max-age=31536000, immutable" : "no-cache";
        if (level < 0)
        {
            var first = tile * TileLayout.TileWidth;
            if (first >= size || width > size - first)
                return AuditEndpoints.NotFound($"entry bundle {tile} of width {width} is beyond the signed tree of size {size}");
            var buffer = new MemoryStream();
            var length = new byte[2];
            await foreach (var row in ledger.Store.ReadEntriesAsync(first, first + width, cancellationToken).ConfigureAwait(false))
            {
                // tlog-tiles entry bundles: each entry prefixed by its length as a big-endian uint16.
                BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)row.Body.Length);
                buffer.Write(length);
                buffer.Write(row.Body);
            }
            return Results.Bytes(buffer.ToArray(), "application/octet-stream");
        }
        var height = level * TileLayout.TileHeight;
        var nodes = height >= 63 ? 0 : size >> height; // complete subtrees at this tree level
        var firstNode = tile * TileLayout.TileWidth;
        if (firstNode >= nodes || width > nodes - firstNode)
            return AuditEndpoints.NotFound($"tile {level}/{tile} of width {width} is beyond the signed tree of size {size}");
        var ids = Enumerable.Range(0, width).Select(i => new MerkleNodeId(height, firstNode + i)).ToList();
        var hashes = await ledger.Store.ReadNodesAsync(ids, cancellationToken).ConfigureAwait(false);
        return Results.Bytes(hashes.SelectMany(h => h).ToArray(), "application/octet-stream");
    }

    /// <summary>Parses <c>tile/L/N[.p/W]</c> (level -1 for <c>tile/entries/…</c>); the index must be in the canonical
    /// x-prefixed three-digit form the layout writes, so every file has exactly one name.</summary>
    internal static bool TryParseTilePath(string path, out int level, out long index, out int width, out string problem)
    {
        level = 0;
        index = 0;
        width = TileLayout.TileWidth;
        problem = "expected checkpoint, entries.jsonl, tile/L/N[.p/W] or tile/entries/N[.p/W]";
        if (path.Length > 200) return false;
        var parts = path.Split('/');
        if (parts.Length < 3 || parts[0] != "tile") return false;
        if (parts[1] == "entries") level = -1;
        else if (parts[1].Length is < 1 or > 2 || !parts[1].All(char.IsAsciiDigit) || (parts[1].Length == 2 && parts[1][0] == '0') ||
                 !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out level) || level > 7)
        {
            problem = "the tile level must be 0..7";
            return false;
        }
        var rest = parts.AsSpan(2);
        if (rest.Length >= 2 && rest[^2].EndsWith(".p", StringComparison.Ordinal))
        {
            var w = rest[^1];
            if (w.Length is < 1 or > 3 || !w.All(char.IsAsciiDigit) || w[0] == '0' ||
                !int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out width) || width >= TileLayout.TileWidth)
            {
                problem = "a partial tile's width must be 1..255";
                return false;
            }
            rest = rest[..^1];
            rest[^1] = rest[^1][..^2];
        }
        if (rest.Length > 7) return false;
        long value = 0;
        foreach (var group in rest)
        {
            var digits = group.StartsWith('x') ? group[1..] : group;
            if (digits.Length != 3 || !digits.All(char.IsAsciiDigit)) return false;
            value = value * 1000 + int.Parse(digits, CultureInfo.InvariantCulture);
        }
        index = value;
        if (TileLayout.EncodeIndex(value) != string.Join('/', rest.ToArray()))
        {
            problem = "the tile index is not in canonical form (x-prefixed three-digit groups, none for the last)";
            return false;
        }
        return true;
    }

    /// <summary>Entries start ≤ index &lt; end, one leaf per line exactly as hashed, written while they are read.</summary>
    private sealed class JsonLinesResult(ILedgerStore store, long start, long end, string? fileName) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.ContentType = JsonLinesType;
            if (fileName is not null) response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
            var cancellationToken = httpContext.RequestAborted;
            var writer = response.BodyWriter;
            var pending = 0;
            await foreach (var row in store.ReadEntriesAsync(start, end, cancellationToken).ConfigureAwait(false))
            {
                writer.Write(row.Body);
                writer.Write("\n"u8);
                pending += row.Body.Length + 1;
                if (pending >= 64 * 1024)
                {
                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                    pending = 0;
                }
            }
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
