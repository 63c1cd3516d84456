using System.Text;
using Attest.Core;
using Attest.Core.Transparency;

namespace Attest.GoModules.SumDb;

/// <summary>What an audit of a whole served checksum database found: how many records it replayed, the signed tree
/// size, the lowest record index it can no longer vouch for, and every problem.</summary>
public sealed record SumDbLogAudit(long RecordsChecked, long TreeSize, long? FirstBadIndex, IReadOnlyList<Finding> Findings)
{
    public bool IsValid => Findings.Count == 0;
}

/// <summary>
/// Audits a whole checksum database as the go command's protocol serves it (<c>latest</c>, <c>tile/8/data/N</c>,
/// <c>tile/8/L/N</c>, each partial at the right edge): the signed tree head must verify with the database key; every
/// record is read from the data tiles, must be valid record text naming one module version (once in the whole log)
/// and must hash to the leaf the level-0 hash tile holds at its index, so a record changed in place is named exactly;
/// every served hash tile must equal the tree rebuilt from the records; the rebuilt root must be the signed one.
/// Trusts nothing the server sends but what the key signed.
/// </summary>
public static class SumDbLogAuditor
{
    private const int Height = SumDbTile.GoHeight;
    private const int Width = 1 << Height;

    public static async Task<SumDbLogAudit> AuditAsync(HttpClient http, Uri baseUrl, NoteVerifierKey key, GoModulesLimits? limits = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(key);
        var client = new SumDbClient(http, limits);
        var findings = new List<Finding>();
        long? firstBad = null;
        void Bad(long index, string code, string message, params (string Key, object? Value)[] evidence)
        {
            findings.Add(FindingFactory.Create(code, message, [("index", index), .. evidence]));
            firstBad = firstBad is { } f ? Math.Min(f, index) : index;
        }

        var note = await client.GetAsync(baseUrl, "latest", findings, cancellationToken).ConfigureAwait(false);
        if (note is null) return new SumDbLogAudit(0, 0, null, findings);
        if (!Checkpoint.TryOpen(note, SumDbVerifier.TreeOrigin, [key], out var tree, out var refused))
        {
            findings.Add(FindingFactory.Create(refused.Code == TransparencyCodes.NoteUnverified ? GoSumCodes.SumDbNoteUnverified
                    : refused.Code == TransparencyCodes.NoteSignatureInvalid ? GoSumCodes.SumDbSignatureInvalid : GoSumCodes.SumDbNoteMalformed,
                $"{baseUrl}latest: {refused.Message}", ("key", key.ToString())));
            return new SumDbLogAudit(0, 0, null, findings);
        }

        var size = tree.Size;
        var range = new CompactRange();
        var levels = 0;
        for (var count = size; count > 0; count >>= Height) levels++;
        var rebuilt = Enumerable.Range(0, levels).Select(_ => new List<byte[]>(Width)).ToArray();
        var tileIndex = new long[levels];
        var modules = new Dictionary<string, long>(StringComparer.Ordinal);
        var nodeProblem = false;
        var stopped = false;
        for (long t = 0; t * Width < size && !stopped; t++)
        {
            var first = t * Width;
            var width = (int)Math.Min(Width, size - first);
            var dataPath = new SumDbTile(Height, -1, t, width).Path;
            var data = await client.GetAsync(baseUrl, dataPath, findings, cancellationToken).ConfigureAwait(false);
            if (data is null)
            {
                Bad(first, GoSumCodes.SumDbTileMissing, $"record tile {dataPath} cannot be read", ("tile", dataPath));
                break;
            }
            var records = SplitRecords(data);
            if (records.Count != width)
            {
                Bad(first + Math.Min(records.Count, width), GoSumCodes.SumDbRecordMalformed, $"record tile {dataPath} holds {records.Count} records, expected {width}", ("tile", dataPath));
                break;
            }
            var leafPath = new SumDbTile(Height, 0, t, width).Path;
            var leaves = await client.GetAsync(baseUrl, leafPath, findings, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < width && !stopped; i++)
            {
                var index = first + i;
                var text = records[i];
                var module = ModuleOf(text);
                if (module is null)
                {
                    Bad(index, GoSumCodes.SumDbRecordMalformed, $"record {index} is not the go.sum lines of one module version", ("tile", dataPath));
                    stopped = true;
                    break;
                }
                if (modules.TryGetValue(module, out var earlier))
                {
                    Bad(index, GoSumCodes.SumDbRecordMalformed, $"record {index} is a second record of {module} (the first is record {earlier})", ("module", module));
                    stopped = true;
                    break;
                }
                modules[module] = index;
                var leaf = MerkleHash.Leaf(text);
                if (leaves is { Length: var length } && length == width * MerkleHash.Size && !leaves.AsSpan(i * MerkleHash.Size, MerkleHash.Size).SequenceEqual(leaf))
                {
                    Bad(index, GoSumCodes.SumDbInclusion, $"record {index} ({module}) does not hash to its leaf in {leafPath}: the record was changed",
                        ("module", module), ("tile", leafPath), ("calculated", Convert.ToBase64String(leaf)));
                    stopped = true;
                    break;
                }
                rebuilt[0].Add(leaf);
                range.Append(leaf, (id, hash) =>
                {
                    if (id.Level % Height == 0) rebuilt[id.Level / Height].Add(hash);
                });
            }
            if (stopped) break;
            for (var level = 0; level < levels; level++)
            {
                var full = rebuilt[level].Count == Width;
                if (!full && !(range.Size == size && rebuilt[level].Count > 0)) continue;
                var hashPath = new SumDbTile(Height, level, tileIndex[level], rebuilt[level].Count).Path;
                var served = level == 0 ? leaves : await client.GetAsync(baseUrl, hashPath, findings, cancellationToken).ConfigureAwait(false);
                if (!nodeProblem && (served is null || !served.AsSpan().SequenceEqual(rebuilt[level].SelectMany(h => h).ToArray())))
                {
                    nodeProblem = true;
                    findings.Add(FindingFactory.Create(GoSumCodes.SumDbInclusion,
                        served is null ? $"hash tile {hashPath} cannot be read" : $"hash tile {hashPath} differs from the tree rebuilt from the records", ("tile", hashPath)));
                }
                if (full) tileIndex[level]++;
                rebuilt[level].Clear();
            }
        }
        if (!stopped && range.Size == size && !range.Root().AsSpan().SequenceEqual(tree.RootHash))
            Bad(0, GoSumCodes.SumDbInclusion, $"the records served do not hash to the signed root of size {size}; a record in [0, {size}) was changed",
                ("treeSize", size), ("signedRoot", Convert.ToBase64String(tree.RootHash)), ("calculatedRoot", Convert.ToBase64String(range.Root())));
        return new SumDbLogAudit(range.Size, size, firstBad, findings);
    }

    /// <summary>A data tile is record texts, each followed by a blank line; a text never holds a blank line itself.</summary>
    private static List<byte[]> SplitRecords(byte[] data)
    {
        var records = new List<byte[]>();
        var start = 0;
        while (start < data.Length)
        {
            var end = data.AsSpan(start).IndexOf("\n\n"u8);
            if (end < 0)
            {
                records.Add(data[start..]); // trailing bytes: counted as a (malformed) record
                break;
            }
            records.Add(data[start..(start + end + 1)]);
            start += end + 2;
        }
        return records;
    }

    /// <summary>The <c>path@version</c> every line of a well-formed record names, or null.</summary>
    private static string? ModuleOf(byte[] text)
    {
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(text);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        if (!decoded.EndsWith('\n') || decoded.Any(c => c < 0x20 && c != '\n')) return null;
        var fields = decoded[..decoded.IndexOf('\n', StringComparison.Ordinal)].Split(' ');
        if (fields.Length != 3) return null;
        var module = new ModuleVersion(fields[0], fields[1]);
        return SumDbRecord.TryParse(decoded, module, out _, out _) ? module.ToString() : null;
    }
}
