using Attest.Core;
using Attest.Core.Transparency;

namespace Attest.GoModules.SumDb;

/// <summary>What an offline checksum-database cache proved: the verified tree, how many notes and records
/// verified, the proven go.sum lines by module version, and every failure.</summary>
public sealed record SumDbReport(
    IReadOnlyList<Finding> Findings,
    long TreeSize,
    int NotesVerified,
    int RecordsProven,
    int LookupCount,
    IReadOnlyDictionary<ModuleVersion, IReadOnlyList<string>> Records)
{
    public bool Passed => Findings.All(f => GoSumCodes.IsWarning(f.Code));
}

/// <summary>Verifies a Go checksum-database client cache offline (<c>$GOMODCACHE/cache/download/sumdb/&lt;name&gt;/</c>:
/// <c>lookup/</c> responses and H=8 <c>tile/</c>s), following <c>golang.org/x/mod/sumdb</c>'s client:
/// <list type="number">
/// <item>every signed tree note (each lookup's, and the cached <c>latest</c>) verifies with the database key
/// (default: the real sum.golang.org key);</item>
/// <item>the largest signed tree's root is recomputed from the tiles;</item>
/// <item>every smaller signed tree is proven consistent with it (otherwise the server misbehaved);</item>
/// <item>every record's leaf hash equals the tile entry at its id and is proven included in the largest tree.</item>
/// </list>
/// Only records that pass all steps are returned for comparison with go.sum.</summary>
public sealed class SumDbVerifier
{
    /// <summary>The sum.golang.org verifier key the go command trusts by default (cmd/go modfetch/key.go).</summary>
    public const string GoSumDbKey = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

    /// <summary>First line of every tree note (x/mod <c>tlog.FormatTree</c>).</summary>
    public const string TreeOrigin = "go.sum database tree";

    private readonly NoteVerifierKey _key;
    private readonly GoModulesLimits _limits;

    public SumDbVerifier(string verifierKey = GoSumDbKey, GoModulesLimits? limits = null)
    {
        _key = NoteVerifierKey.Parse(verifierKey);
        _limits = limits ?? GoModulesLimits.Default;
    }

    public string Name => _key.Name;

    private sealed class TileMissingException(MerkleNodeId node) : Exception($"no cached tile holds node {node}")
    {
        public MerkleNodeId Node { get; } = node;
    }

    /// <summary>Verifies the cache at <paramref name="sumdbCache"/> (the directory holding <c>&lt;name&gt;/lookup</c> and
    /// <c>&lt;name&gt;/tile</c>); <paramref name="latestNote"/> is the client's <c>$GOPATH/pkg/sumdb/&lt;name&gt;/latest</c>, if known.</summary>
    public SumDbReport VerifyCache(string sumdbCache, string? latestNote = null)
    {
        var findings = new List<Finding>();
        var root = Path.Combine(sumdbCache, Name);
        var lookupRoot = Path.Combine(root, "lookup");
        var tiles = new TileStore(Path.Combine(root, "tile"), _limits);
        var notesVerified = 0;

        Checkpoint? target = null;
        if (latestNote is not null)
        {
            if (OpenNote(latestNote, findings) is { } latest) { target = latest; notesVerified++; }
        }

        var lookups = new List<(string File, ModuleVersion Module, SumDbLookup Lookup, Checkpoint Tree)>();
        var files = Directory.Exists(lookupRoot)
            ? Directory.EnumerateFiles(lookupRoot, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Take(_limits.MaxModules).Order(StringComparer.Ordinal).ToList()
            : [];
        foreach (var file in files)
        {
            var rel = Path.GetRelativePath(lookupRoot, file).Replace(Path.DirectorySeparatorChar, '/');
            var at = rel.LastIndexOf('@');
            var path = at > 0 ? ModulePath.Unescape(rel[..at]) : null;
            var version = at > 0 ? ModulePath.UnescapeVersion(rel[(at + 1)..]) : null;
            if (path is null || version is null)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.SumDbRecordMalformed, $"{file}: not a lookup/<path>@<version> file", ("file", file)));
                continue;
            }
            var data = TextLines.ReadBounded(file, _limits.MaxSumDbFileBytes, out var error);
            if (data is null)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.FileUnreadable, $"{file}: {error}", ("file", file)));
                continue;
            }
            if (!SumDbLookup.TryParse(data, file, out var lookup, out var parseError))
            {
                findings.Add(parseError!);
                continue;
            }
            var tree = OpenNote(lookup!.SignedNote, file, findings);
            if (tree is null) continue;
            notesVerified++;
            var prefix = $"{path} {version}";
            if (lookup.Lines.Any(l => !l.StartsWith(prefix + " ", StringComparison.Ordinal) && !l.StartsWith(prefix + "/go.mod ", StringComparison.Ordinal)))
            {
                findings.Add(FindingFactory.Create(GoSumCodes.SumDbRecordMalformed, $"{file}: record holds lines for another module than {path}@{version}", ("file", file)));
                continue;
            }
            if (lookup.RecordId >= tree.Size)
            {
                findings.Add(FindingFactory.Create(GoSumCodes.SumDbRecordMalformed, $"{file}: record id {lookup.RecordId} is outside its signed tree of size {tree.Size}", ("file", file)));
                continue;
            }
            lookups.Add((file, new ModuleVersion(path, version), lookup, tree));
            if (target is null || tree.Size > target.Size) target = tree;
        }

        var records = new Dictionary<ModuleVersion, IReadOnlyList<string>>();
        if (target is null)
            return new SumDbReport(findings, 0, notesVerified, 0, files.Count, records);

        byte[] HashOf(MerkleNodeId node) => tiles.Hash(node) ?? throw new TileMissingException(node);

        // The target tree's root from the tiles: the tiles that hold its frontier are then the ones the signature covers.
        try
        {
            var frontier = CompactRange.FrontierIds(target.Size).Select(HashOf).ToList();
            var computed = CompactRange.FromFrontier(target.Size, frontier).Root();
            if (!computed.AsSpan().SequenceEqual(target.RootHash))
                findings.Add(FindingFactory.Create(GoSumCodes.SumDbInclusion,
                    $"the tiles give root {Convert.ToBase64String(computed)} for the tree of size {target.Size}, but the signed note says {Convert.ToBase64String(target.RootHash)}",
                    ("treeSize", target.Size), ("expected", Convert.ToBase64String(target.RootHash)), ("actual", Convert.ToBase64String(computed))));
        }
        catch (TileMissingException e)
        {
            findings.Add(TileMissing(e.Node, target.Size));
        }

        foreach (var tree in lookups.Select(l => l.Tree).Where(t => t.Size < target.Size).DistinctBy(t => t.Size))
        {
            try
            {
                var proof = new ConsistencyProof(tree.Size, target.Size, ProofPlan.Consistency(tree.Size, target.Size).Assemble(HashOf));
                var result = proof.Verify(tree.RootHash, target.RootHash);
                if (!result.IsValid)
                    findings.Add(FindingFactory.Create(GoSumCodes.SumDbTreeInconsistent,
                        $"go.sum database server misbehavior: signed tree of size {tree.Size} is not consistent with signed tree of size {target.Size} ({result.Failure!.Message})",
                        ("oldSize", tree.Size), ("newSize", target.Size), ("oldRoot", Convert.ToBase64String(tree.RootHash)), ("newRoot", Convert.ToBase64String(target.RootHash))));
            }
            catch (TileMissingException e)
            {
                findings.Add(TileMissing(e.Node, target.Size));
            }
        }

        var proven = 0;
        foreach (var (file, module, lookup, _) in lookups)
        {
            var leaf = MerkleHash.Leaf(lookup.RecordBytes);
            try
            {
                var stored = HashOf(new MerkleNodeId(0, lookup.RecordId));
                if (!stored.AsSpan().SequenceEqual(leaf))
                {
                    findings.Add(FindingFactory.Create(GoSumCodes.SumDbInclusion,
                        $"{file}: record {lookup.RecordId} hashes to {Convert.ToBase64String(leaf)}, but the log holds {Convert.ToBase64String(stored)} at that index",
                        ("file", file), ("module", module.ToString()), ("recordId", lookup.RecordId)));
                    continue;
                }
                var proof = new InclusionProof(lookup.RecordId, target.Size, ProofPlan.Inclusion(lookup.RecordId, target.Size).Assemble(HashOf));
                var result = proof.Verify(leaf, target.RootHash);
                if (!result.IsValid)
                {
                    findings.Add(FindingFactory.Create(GoSumCodes.SumDbInclusion,
                        $"{file}: record {lookup.RecordId} is not proven included in the signed tree of size {target.Size} ({result.Failure!.Message})",
                        ("file", file), ("module", module.ToString()), ("recordId", lookup.RecordId)));
                    continue;
                }
            }
            catch (TileMissingException e)
            {
                findings.Add(TileMissing(e.Node, target.Size));
                continue;
            }
            proven++;
            records[module] = lookup.Lines.ToList();
        }
        CrossCheckTiles(tiles, findings);
        return new SumDbReport(findings, target.Size, notesVerified, proven, files.Count, records);
    }

    /// <summary>Cross-checks every cached tile with the others, as far as they overlap: a narrower tile must be a
    /// prefix of every wider tile at the same place, and a full tile's Merkle root must equal its entry in the
    /// widest cached parent tile. Proofs authenticate the tiles they read (from the signed root down); these
    /// checks carry that to the rest, so a changed byte anywhere that overlaps other data is a finding.</summary>
    private static void CrossCheckTiles(TileStore tiles, List<Finding> findings)
    {
        var size = MerkleHash.Size;
        var byPlace = tiles.Tiles.GroupBy(t => (t.Level, t.Index)).ToDictionary(g => g.Key, g => g.OrderBy(t => t.Width).ToList());
        foreach (var ((level, index), group) in byPlace)
        {
            for (var i = 0; i < group.Count - 1; i++)
            {
                var narrow = tiles.Entries(group[i].Path, group[i].Width);
                var wide = tiles.Entries(group[i + 1].Path, group[i + 1].Width);
                if (narrow is not null && wide is not null && !wide.AsSpan(0, narrow.Length).SequenceEqual(narrow))
                    findings.Add(TileMismatch(group[i].Path, group[i + 1].Path));
            }
            var full = group[^1];
            if (full.Width != 1 << SumDbTile.GoHeight) continue;
            var slot = (int)(index & ((1 << SumDbTile.GoHeight) - 1));
            if (!byPlace.TryGetValue((level + 1, index >> SumDbTile.GoHeight), out var parents)) continue;
            var parent = parents[^1];
            if (parent.Width <= slot || tiles.Entries(parent.Path, parent.Width) is not { } parentEntries || tiles.Entries(full.Path, full.Width) is not { } entries) continue;
            if (!parentEntries.AsSpan(slot * size, size).SequenceEqual(TileStore.SubtreeRoot(entries)))
                findings.Add(TileMismatch(full.Path, parent.Path));
        }
    }

    private static Finding TileMismatch(string tile, string authenticatedTile) =>
        FindingFactory.Create(GoSumCodes.SumDbInclusion, $"{tile}: tile contradicts the cached tile {authenticatedTile}", ("file", tile), ("authenticated", authenticatedTile));

    private Checkpoint? OpenNote(string path, List<Finding> findings)
    {
        var data = TextLines.ReadBounded(path, _limits.MaxSumDbFileBytes, out var error);
        if (data is not null) return OpenNote(data, path, findings);
        findings.Add(FindingFactory.Create(GoSumCodes.FileUnreadable, $"{path}: {error}", ("file", path)));
        return null;
    }

    private Checkpoint? OpenNote(byte[] note, string file, List<Finding> findings)
    {
        if (Checkpoint.TryOpen(note, TreeOrigin, [_key], out var tree, out var error)) return tree;
        var code = error!.Code switch
        {
            TransparencyCodes.NoteSignatureInvalid => GoSumCodes.SumDbSignatureInvalid,
            TransparencyCodes.NoteUnverified => GoSumCodes.SumDbNoteUnverified,
            _ => GoSumCodes.SumDbNoteMalformed,
        };
        findings.Add(FindingFactory.Create(code, $"{file}: {error.Message}", ("file", file), ("key", _key.ToString())));
        return null;
    }

    private static Finding TileMissing(MerkleNodeId node, long size) =>
        FindingFactory.Create(GoSumCodes.SumDbTileMissing, $"no cached tile holds tree node {node} needed for the tree of size {size}", ("node", node.ToString()), ("treeSize", size));

    /// <summary>Compares go.sum with the proven records: each h1 line must appear in its module's record.
    /// Paths for which <paramref name="exempt"/> is true (GONOSUMDB/GOPRIVATE) are skipped.</summary>
    public static IReadOnlyList<Finding> CompareGoSum(GoSumFile goSum, SumDbReport report, Func<string, bool>? exempt = null)
    {
        var findings = new List<Finding>();
        foreach (var entry in goSum.Entries)
        {
            if (exempt?.Invoke(entry.Path) == true) continue;
            if (!report.Records.TryGetValue(entry.Module, out var lines))
            {
                findings.Add(FindingFactory.Create(GoSumCodes.SumDbRecordMissing,
                    $"{entry.Path} {entry.VersionField}: no verified checksum-database record in the cache (go.sum line {entry.Line})",
                    ("module", entry.Module.ToString()), ("line", entry.Line)));
                continue;
            }
            var prefix = $"{entry.Path} {entry.VersionField} ";
            var signed = lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            if (signed is null)
                findings.Add(FindingFactory.Create(GoSumCodes.SumDbRecordMissing,
                    $"{entry.Path} {entry.VersionField}: the signed record has no such line (go.sum line {entry.Line})", ("module", entry.Module.ToString()), ("line", entry.Line)));
            else if (signed[prefix.Length..] != entry.Hash)
                findings.Add(FindingFactory.Create(GoSumCodes.SumDbHashMismatch,
                    $"verifying {entry.Path}@{entry.VersionField}: checksum mismatch: go.sum:{entry.Line} has {entry.Hash}, the checksum database signed {signed[prefix.Length..]}",
                    ("module", entry.Module.ToString()), ("expected", signed[prefix.Length..]), ("actual", entry.Hash), ("line", entry.Line)));
        }
        return findings;
    }
}
