using Attest.Core.Transparency;
using Attest.GoModules.SumDb;
using Attest.Testing;

namespace Attest.GoModules.Tests.SumDb;

public sealed class SumDbVerifierTests
{
    private static string Cache => RepositoryPaths.Vectors("go", "real-sumdb-cache-2022", "cache");
    private static string Latest => RepositoryPaths.Vectors("go", "real-sumdb-cache-2022", "config", "sum.golang.org", "latest");

    [Fact]
    public void Real_sum_golang_org_cache_verifies_every_signature_and_proves_all_54_records()
    {
        var report = new SumDbVerifier().VerifyCache(Cache, Latest);
        Assert.True(report.Passed, string.Join("\n", report.Findings));
        Assert.Empty(report.Findings);
        Assert.Equal(9380838, report.TreeSize);
        Assert.Equal(54, report.LookupCount);
        Assert.Equal(55, report.NotesVerified); // 54 lookups + latest
        Assert.Equal(54, report.RecordsProven);
    }

    [Fact]
    public void Real_h1_vectors_all_equal_the_signed_records()
    {
        var report = new SumDbVerifier().VerifyCache(Cache, Latest);
        var goSum = GoSumFile.Load(RepositoryPaths.Vectors("go", "real-h1-vectors-2022.txt"));
        Assert.Equal(80, goSum.Entries.Count);
        Assert.Empty(SumDbVerifier.CompareGoSum(goSum, report));
    }

    [Fact]
    public void Legacy_module_gomod_hash_is_the_signed_one()
    {
        // github.com/davecgh/go-spew v1.1.1 has no go.mod: its /go.mod line hashes the synthesized module line.
        var report = new SumDbVerifier().VerifyCache(Cache, Latest);
        var lines = report.Records[new ModuleVersion("github.com/davecgh/go-spew", "v1.1.1")];
        Assert.Contains($"github.com/davecgh/go-spew v1.1.1/go.mod {DirHash.HashGoMod(DirHash.LegacyGoMod("github.com/davecgh/go-spew"))}", lines);
    }

    [Fact]
    public void Go_sum_line_differing_from_the_signed_record_is_a_mismatch()
    {
        var report = new SumDbVerifier().VerifyCache(Cache, Latest);
        var goSum = GoSumFile.Parse("github.com/davecgh/go-spew v1.1.1 h1:aJ7OseBLWd+WPN8Ntt+Mh2Wf34+dK67wR2kFnuTqfks=\nexample.com/private v1.0.0 h1:aJ7OseBLWd+WPN8Ntt+Mh2Wf34+dK67wR2kFnuTqfks=\n");
        var findings = SumDbVerifier.CompareGoSum(goSum, report);
        Assert.Contains(findings, f => f.Code == GoSumCodes.SumDbHashMismatch && f.Evidence!["expected"] == "h1:vj9j/u1bqnvCEfJOwUhtlOARqs3+rkHYY13jYWTU97c=");
        Assert.Contains(findings, f => f.Code == GoSumCodes.SumDbRecordMissing);
        Assert.Empty(SumDbVerifier.CompareGoSum(goSum, report, p => true));
    }

    [Fact]
    public void One_changed_byte_in_a_record_fails_inclusion_and_is_named()
    {
        using var copy = CopyCache();
        var file = Path.Combine(copy.Path, "cache", "sum.golang.org", "lookup", "github.com", "davecgh", "go-spew@v1.1.1");
        var bytes = File.ReadAllBytes(file);
        var i = System.Text.Encoding.ASCII.GetString(bytes).IndexOf(" h1:", StringComparison.Ordinal);
        bytes[i + 8] ^= 0x01; // inside the first h1 hash of the record
        File.WriteAllBytes(file, bytes);
        var report = new SumDbVerifier().VerifyCache(Path.Combine(copy.Path, "cache"), Path.Combine(copy.Path, "config", "sum.golang.org", "latest"));
        var finding = Assert.Single(report.Findings);
        Assert.Equal(GoSumCodes.SumDbInclusion, finding.Code);
        Assert.Equal(file, finding.Evidence!["file"]);
        Assert.Equal(53, report.RecordsProven);
        Assert.False(report.Records.ContainsKey(new ModuleVersion("github.com/davecgh/go-spew", "v1.1.1")));
    }

    [Fact]
    public void One_changed_byte_in_any_tile_is_caught()
    {
        using var copy = CopyCache();
        var tiles = Directory.GetFiles(Path.Combine(copy.Path, "cache", "sum.golang.org", "tile"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(110, tiles.Count);
        var verifier = new SumDbVerifier();
        var latest = Path.Combine(copy.Path, "config", "sum.golang.org", "latest");
        var undetected = new List<string>();
        var used = 0;
        foreach (var tile in tiles)
        {
            var original = File.ReadAllBytes(tile);
            var changed = (byte[])original.Clone();
            changed[changed.Length / 2] ^= 0x01;
            File.WriteAllBytes(tile, changed);
            var report = verifier.VerifyCache(Path.Combine(copy.Path, "cache"), latest);
            File.WriteAllBytes(tile, original);
            if (report.Passed) undetected.Add(tile);
            else used++;
        }
        Assert.Empty(undetected);
        Assert.Equal(110, used);
    }

    [Fact]
    public void Wrong_key_leaves_every_note_unverified()
    {
        var other = new Ed25519NoteSigner("sum.golang.org", Attest.Core.Crypto.Ed25519.GenerateSeed());
        var report = new SumDbVerifier(other.VerifierKey.ToString()).VerifyCache(Cache, Latest);
        Assert.Equal(0, report.NotesVerified);
        Assert.Equal(55, report.Findings.Count(f => f.Code == GoSumCodes.SumDbNoteUnverified));
    }

    [Fact]
    public void Forged_signature_with_the_real_key_id_is_invalid()
    {
        using var copy = CopyCache();
        var latest = Path.Combine(copy.Path, "config", "sum.golang.org", "latest");
        var text = File.ReadAllText(latest).Replace("9380838", "9380839", StringComparison.Ordinal);
        File.WriteAllText(latest, text);
        var report = new SumDbVerifier().VerifyCache(Path.Combine(copy.Path, "cache"), latest);
        Assert.Contains(report.Findings, f => f.Code == GoSumCodes.SumDbSignatureInvalid && f.Evidence!["file"] == latest);
    }

    [Theory]
    [InlineData(4, 0, 1, 16, "tile/4/0/001")]
    [InlineData(4, 0, 1, 5, "tile/4/0/001.p/5")]
    [InlineData(3, 5, 123456078, 8, "tile/3/5/x123/x456/078")]
    [InlineData(3, 5, 123456078, 2, "tile/3/5/x123/x456/078.p/2")]
    [InlineData(1, 0, 3057500, 2, "tile/1/0/x003/x057/500")]
    [InlineData(1, -1, 3057500, 2, "tile/1/data/x003/x057/500")]
    public void Tile_paths_round_trip_as_in_xmod(int h, int l, long n, int w, string path)
    {
        var tile = new SumDbTile(h, l, n, w);
        Assert.Equal(path, tile.Path);
        Assert.True(SumDbTile.TryParsePath(path, out var parsed));
        Assert.Equal(tile, parsed);
        Assert.Contains(path, File.ReadAllText(RepositoryPaths.Vectors("go", "tlog-vectors.txt")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tile/3/5/123/456/078")]
    [InlineData("tile/3/-1/123/456/078")]
    [InlineData("tile/3/5/x000/078")]
    [InlineData("tile/3/5/078.p/8")]
    [InlineData("tile/3/5/078.p/0")]
    [InlineData("tile/3/5/78")]
    public void Non_canonical_tile_paths_are_rejected(string path) => Assert.False(SumDbTile.TryParsePath(path, out _));

    [Fact]
    public void Record_hash_matches_the_xmod_vector()
    {
        Assert.Equal("TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=", Convert.ToBase64String(MerkleHash.Leaf("hello world"u8)));
    }

    private static TempDirectory CopyCache()
    {
        var copy = new TempDirectory("attest-sumdb");
        var source = RepositoryPaths.Vectors("go", "real-sumdb-cache-2022");
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy.Path, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return copy;
    }
}
