using Attest.Core;
using Attest.Core.IO;
using Attest.Core.Transparency;

namespace Attest.GoModules.SumDb;

/// <summary>Fetches what <see cref="SumDbVerifier"/> needs from a checksum database (or a module proxy that serves
/// one under <c>/sumdb/&lt;name&gt;/</c>) into a cache directory laid out like the go command's: the signed
/// <c>latest</c> tree note, <c>lookup/&lt;path&gt;@&lt;version&gt;</c> for each module version, and the H=8 tiles its
/// proofs read. Nothing fetched is trusted: the verifier checks it all afterwards. Every response is size-bounded.</summary>
public sealed class SumDbClient(HttpClient http, GoModulesLimits? limits = null)
{
    private readonly GoModulesLimits _limits = limits ?? GoModulesLimits.Default;

    /// <summary>The result of a fetch: where the cache is, the latest note file, and what could not be fetched.</summary>
    public sealed record FetchResult(string CacheDirectory, string? LatestNote, IReadOnlyList<Finding> Findings);

    /// <summary>Fetches into <paramref name="cacheDirectory"/> (the directory that holds <c>&lt;name&gt;/</c>).
    /// <paramref name="baseUrl"/> is the database URL (<c>https://sum.golang.org</c>) or a proxy's
    /// <c>…/sumdb/sum.golang.org</c>.</summary>
    public async Task<FetchResult> FetchAsync(Uri baseUrl, string name, IEnumerable<ModuleVersion> modules, string cacheDirectory, CancellationToken cancellationToken = default)
    {
        var findings = new List<Finding>();
        var root = Path.Combine(cacheDirectory, name);
        Directory.CreateDirectory(root);
        var latestPath = Path.Combine(root, "latest");
        var latest = await GetAsync(baseUrl, "latest", findings, cancellationToken).ConfigureAwait(false);
        if (latest is null) return new FetchResult(cacheDirectory, null, findings);
        await File.WriteAllBytesAsync(latestPath, latest, cancellationToken).ConfigureAwait(false);
        if (!Checkpoint.TryParse(SignedNote.TryParse(latest, out var latestNote, out _) ? latestNote.Text : "", out var tree, out _))
        {
            findings.Add(FindingFactory.Create(GoSumCodes.SumDbNoteMalformed, $"{baseUrl}latest: not a tree note", ("url", baseUrl + "latest")));
            return new FetchResult(cacheDirectory, latestPath, findings);
        }

        var nodes = new HashSet<MerkleNodeId>(CompactRange.FrontierIds(tree.Size));
        foreach (var module in modules.Distinct().Take(_limits.MaxModules))
        {
            if (ModulePath.Escape(module.Path) is not { } esc || ModulePath.EscapeVersion(module.Version) is not { } escV) continue;
            var rel = $"lookup/{esc}@{escV}";
            var data = await GetAsync(baseUrl, rel, findings, cancellationToken).ConfigureAwait(false);
            if (data is null) continue;
            var file = Path.Combine(root, "lookup", $"{esc}@{escV}");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllBytesAsync(file, data, cancellationToken).ConfigureAwait(false);
            if (!SumDbLookup.TryParse(data, file, out var lookup, out _)) continue;
            if (lookup!.RecordId < tree.Size) nodes.UnionWith(ProofPlan.Inclusion(lookup.RecordId, tree.Size).Nodes.Append(new MerkleNodeId(0, lookup.RecordId)));
            if (SignedNote.TryParse(lookup.SignedNote, out var note, out _) && Checkpoint.TryParse(note.Text, out var old, out _) && old.Size < tree.Size && old.Size > 0)
                nodes.UnionWith(ProofPlan.Consistency(old.Size, tree.Size).Nodes);
        }

        foreach (var tile in nodes.Select(n => TileOf(n, tree.Size)).Distinct())
        {
            var data = await GetAsync(baseUrl, tile.Path, findings, cancellationToken).ConfigureAwait(false);
            if (data is null) continue;
            var file = Path.Combine(root, tile.Path.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllBytesAsync(file, data, cancellationToken).ConfigureAwait(false);
        }
        return new FetchResult(cacheDirectory, latestPath, findings);
    }

    /// <summary>The tile of a tree of <paramref name="treeSize"/> that stores <paramref name="node"/>'s hashes, at the
    /// width the tree has there (partial at the right edge).</summary>
    public static SumDbTile TileOf(MerkleNodeId node, long treeSize)
    {
        var level = node.Level / SumDbTile.GoHeight;
        var start = node.Index << (node.Level % SumDbTile.GoHeight);
        var index = start >> SumDbTile.GoHeight;
        var stored = treeSize >> (level * SumDbTile.GoHeight);
        var width = (int)Math.Min(1 << SumDbTile.GoHeight, stored - index * (1 << SumDbTile.GoHeight));
        return new SumDbTile(SumDbTile.GoHeight, level, index, width);
    }

    /// <summary>The body of <c>baseUrl/relative</c> (bounded), or null with a finding saying why not.</summary>
    internal async Task<byte[]?> GetAsync(Uri baseUrl, string relative, List<Finding> findings, CancellationToken cancellationToken)
    {
        var url = new Uri(baseUrl.ToString().TrimEnd('/') + "/" + relative);
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                findings.Add(FindingFactory.Create(relative.StartsWith("tile/", StringComparison.Ordinal) ? GoSumCodes.SumDbTileMissing : GoSumCodes.SumDbRecordMissing,
                    $"{url}: HTTP {(int)response.StatusCode}", ("url", url.ToString())));
                return null;
            }
            if (response.Content.Headers.ContentLength > _limits.MaxSumDbFileBytes) throw new IOException("response too large");
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return await BoundedRead.ReadAllAsync(stream, _limits.MaxSumDbFileBytes, cancellationToken).ConfigureAwait(false)
                ?? throw new IOException($"response larger than {_limits.MaxSumDbFileBytes} bytes");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            findings.Add(FindingFactory.Create(GoSumCodes.FileUnreadable, $"{url}: {e.Message}", ("url", url.ToString())));
            return null;
        }
    }
}
