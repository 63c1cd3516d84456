using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Attest.Core.Transparency;
using Attest.Ledger;
using Attest.Testing;

namespace Attest.Server.Tests.Audit;

/// <summary>The auditors' API over a real server and a seeded ledger: each endpoint's answer, the proofs checked with
/// Attest.Core's verifiers against the checkpoint opened with the ledger key, and refusals of bad parameters as
/// problem details naming the parameter.</summary>
public sealed class AuditApiTests(SeededLedgerServer seeded) : IClassFixture<SeededLedgerServer>
{
    private HttpClient Client => seeded.Client;

    [Fact]
    public async Task Checkpoint_is_signed_by_the_ledger_key_and_covers_every_entry()
    {
        var body = await Client.GetFromJsonAsync<JsonElement>("v1/ledger/checkpoint");
        Assert.Equal(SeededLedgerServer.Origin, body.GetProperty("origin").GetString());
        Assert.Equal(seeded.Size, body.GetProperty("size").GetInt64());
        Assert.Equal([seeded.VerifierKey.ToString()], body.GetProperty("verifierKeys").EnumerateArray().Select(k => k.GetString()));

        var checkpoint = OpenCheckpoint(body.GetProperty("note").GetString()!);
        Assert.Equal(seeded.Size, checkpoint.Size);
        Assert.Equal(checkpoint.RootHash, Convert.FromBase64String(body.GetProperty("rootHash").GetString()!));
        Assert.Equal(RootOf(await AllLeavesAsync()), checkpoint.RootHash);
    }

    [Fact]
    public async Task Entries_carry_fields_details_and_the_exact_leaf_bytes()
    {
        var entry = await Client.GetFromJsonAsync<JsonElement>("v1/ledger/entries/3");
        var (at, image, digest, ns, verdict) = SeededLedgerServer.Decisions[3];
        Assert.Equal(3, entry.GetProperty("index").GetInt64());
        Assert.Equal(LedgerEntryCodec.FormatTime(at), entry.GetProperty("recordedAt").GetString());
        Assert.Equal(LedgerEntryKinds.AdmissionDecision, entry.GetProperty("kind").GetString());
        Assert.Equal(image, entry.GetProperty("image").GetString());
        Assert.Equal(digest, entry.GetProperty("digest").GetString());
        Assert.Equal(ns, entry.GetProperty("namespace").GetString());
        Assert.Equal(verdict, entry.GetProperty("verdict").GetString());
        Assert.Equal("seed-3", entry.GetProperty("details").GetProperty("uid").GetString());
        Assert.False(entry.TryGetProperty("client", out _));

        // The leaf is the entry's canonical serialization: re-serializing the fields gives the same bytes.
        var leaf = Convert.FromBase64String(entry.GetProperty("leaf").GetString()!);
        Assert.True(LedgerEntryCodec.TryParse(leaf, out var parsed, out var error), error);
        Assert.Equal(leaf, LedgerEntryCodec.Serialize(3, parsed.RecordedAt, parsed.Entry));
    }

    [Theory]
    [InlineData("verdict=deny", new long[] { 3, 7, 8 })]
    [InlineData("verdict=warn&namespace=staging", new long[] { 4, 5 })]
    [InlineData("kind=hashedrekord", new long[] { 11, 12 })]
    [InlineData("client=ci-release", new long[] { 11, 12 })]
    [InlineData("image=registry.example.com/prod/api:v2", new long[] { 2, 3, 6, 7, 8 })]
    // Image search by canonical repository: every tag and digest of it, in any spelling; a prefix is not a repository.
    [InlineData("image=REGISTRY.example.com/prod/api", new long[] { 2, 3, 6, 7, 8 })]
    [InlineData("image=registry.example.com/prod/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", new long[] { 2, 3, 6, 7, 8 })]
    [InlineData("image=registry.example.com/prod/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", new long[0])]
    [InlineData("image=registry.example.com/prod/app&verdict=warn", new long[] { 4, 5 })]
    [InlineData("image=registry.example.com/prod/ap", new long[0])]
    [InlineData("digest=sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", new long[] { 11 })]
    [InlineData("digest=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&kind=admission.decision", new long[] { 0, 1, 4, 5, 9, 10 })]
    [InlineData("from=2026-11-19T00:00:00Z&to=2026-11-20T00:00:00Z", new long[] { 4, 5, 6 })]
    [InlineData("from=2026-11-20T09:01:00%2B00:00&to=2026-11-20T09:02:00Z&kind=admission.decision", new long[] { 7 })]
    [InlineData("verdict=nothing-like-this", new long[0])]
    [InlineData("verdict=deny&order=desc", new long[] { 8, 7, 3 })]
    [InlineData("order=asc&kind=hashedrekord", new long[] { 11, 12 })]
    [InlineData("order=desc&cursor=8&verdict=deny", new long[] { 7, 3 })]
    [InlineData("order=desc&cursor=3&verdict=deny", new long[0])]
    public async Task Entries_are_filtered(string query, long[] expected)
    {
        var page = await Client.GetFromJsonAsync<JsonElement>("v1/ledger/entries?" + query);
        Assert.Equal(expected, page.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("index").GetInt64()));
        Assert.False(page.TryGetProperty("nextCursor", out _));
    }

    [Theory]
    [InlineData("asc")]
    [InlineData("desc")]
    public async Task Paging_with_the_cursor_visits_every_entry_once_and_the_last_page_has_no_cursor(string order)
    {
        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Client.GetFromJsonAsync<JsonElement>($"v1/ledger/entries?order={order}&limit=4" + (cursor is null ? "" : "&cursor=" + cursor));
            var entries = page.GetProperty("entries").EnumerateArray().ToList();
            Assert.InRange(entries.Count, 1, 4);
            seen.AddRange(entries.Select(e => e.GetProperty("index").GetInt64()));
            cursor = page.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
            pages++;
        }
        while (cursor is not null && pages < 10);
        var all = Enumerable.Range(0, (int)seeded.Size).Select(i => (long)i);
        Assert.Equal(order == "asc" ? all : all.Reverse(), seen);
        Assert.Equal(5, pages); // 17 entries (13 seeded, 4 from start-up and the test's client): 4 + 4 + 4 + 4 + 1, and no empty sixth page
    }

    [Theory]
    [InlineData("v1/ledger/entries?limit=0", "'limit' must be between 1 and 1000")]
    [InlineData("v1/ledger/entries?image=r.example/a@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb&digest=sha256:aa", "'image' names digest sha256:bbbb")]
    [InlineData("v1/ledger/entries?limit=1001", "'limit' must be between 1 and 1000")]
    [InlineData("v1/ledger/entries?limit=ten", "'limit' must be a non-negative integer")]
    [InlineData("v1/ledger/entries?cursor=-1", "'cursor' must be a non-negative integer")]
    [InlineData("v1/ledger/entries?order=newest", "'order' must be asc (oldest first) or desc (newest first)")]
    [InlineData("v1/ledger/entries?verdcit=deny", "unknown query parameter 'verdcit'")]
    [InlineData("v1/ledger/entries?verdict=deny&verdict=allow", "'verdict' is given 2 times")]
    [InlineData("v1/ledger/entries?from=yesterday", "'from' must be an RFC 3339 time with an offset")]
    [InlineData("v1/ledger/entries?from=2026-11-20T00:00:00", "'from' must be an RFC 3339 time with an offset")]
    [InlineData("v1/ledger/entries?from=2026-11-20T00:00:00Z&to=2026-11-19T00:00:00Z", "'from' must be earlier than 'to'")]
    [InlineData("v1/ledger/entries/abc", "entry index must be a non-negative integer")]
    [InlineData("v1/ledger/entries/-1", "entry index must be a non-negative integer")]
    [InlineData("v1/ledger/checkpoint?size=3", "unknown query parameter 'size'")]
    [InlineData("v1/ledger/proofs/inclusion", "'index' is required")]
    [InlineData("v1/ledger/proofs/inclusion?index=x", "'index' must be a non-negative integer")]
    [InlineData("v1/ledger/proofs/inclusion?index=1&treeSize=0", "'treeSize' must be between 1 and")]
    [InlineData("v1/ledger/proofs/inclusion?index=1&size=4", "unknown query parameter 'size'")]
    [InlineData("v1/ledger/proofs/consistency?from=3", "'from' and 'to' (tree sizes) are both required")]
    [InlineData("v1/ledger/proofs/consistency?from=5&to=3", "'from' (5) must not be larger than 'to' (3)")]
    [InlineData("v1/ledger/proofs/consistency?from=0&to=3", "'from' must be between 1 and")]
    [InlineData("v1/ledger/export?start=5&end=2", "'end' (2) must not be smaller than 'start' (5)")]
    [InlineData("v1/ledger/export?start=a", "'start' must be a non-negative integer")]
    public async Task Bad_parameters_are_refused_with_a_problem_naming_them(string url, string expected)
    {
        await AssertProblemAsync(url, HttpStatusCode.BadRequest, expected);
    }

    [Theory]
    [InlineData("v1/ledger/entries/17", "entry 17 does not exist: the ledger holds 17 entries")]
    [InlineData("v1/ledger/entries/99999999999", "entry 99999999999 does not exist")]
    [InlineData("v1/ledger/proofs/inclusion?index=17", "entry 17 does not exist: the ledger holds 17 entries")]
    [InlineData("v1/ledger/proofs/inclusion?index=2&treeSize=18", "tree size 18 is beyond the ledger, which holds 17 entries")]
    [InlineData("v1/ledger/proofs/inclusion?index=9&treeSize=8", "entry 9 is not in the tree of size 8")]
    [InlineData("v1/ledger/proofs/consistency?from=3&to=18", "tree size 18 is beyond the ledger")]
    [InlineData("v1/ledger/export?end=18", "'end' (18) is beyond the ledger, which holds 17 entries")]
    [InlineData("v1/ledger/log/tile/0/001", "tile 0/1 of width 256 is beyond the signed tree of size 17")]
    [InlineData("v1/ledger/log/tile/0/000.p/18", "tile 0/0 of width 18 is beyond the signed tree of size 17")]
    [InlineData("v1/ledger/log/tile/1/000.p/1", "tile 1/0 of width 1 is beyond the signed tree of size 17")]
    [InlineData("v1/ledger/log/tile/entries/000.p/20", "entry bundle 0 of width 20 is beyond the signed tree")]
    [InlineData("v1/ledger/log/tile/0/5", "is not a file of the log")]
    [InlineData("v1/ledger/log/tile/0/x000/005", "not in canonical form")]
    [InlineData("v1/ledger/log/tile/0/000.p/256", "a partial tile's width must be 1..255")]
    [InlineData("v1/ledger/log/tile/9/000", "the tile level must be 0..7")]
    [InlineData("v1/ledger/log/secrets.txt", "is not a file of the log")]
    public async Task Beyond_the_ledger_is_not_found_with_a_problem_saying_so(string url, string expected)
    {
        await AssertProblemAsync(url, HttpStatusCode.NotFound, expected);
    }

    [Fact]
    public async Task Inclusion_proofs_verify_against_the_signed_checkpoint_for_every_entry()
    {
        var leaves = await AllLeavesAsync();
        for (var index = 0; index < leaves.Count; index++)
        {
            var body = await Client.GetFromJsonAsync<JsonElement>($"v1/ledger/proofs/inclusion?index={index}");
            Assert.Equal(seeded.Size, body.GetProperty("treeSize").GetInt64());
            var checkpoint = OpenCheckpoint(body.GetProperty("checkpoint").GetString()!);
            var proof = new InclusionProof(index, checkpoint.Size, Hashes(body));
            var result = proof.Verify(MerkleHash.Leaf(leaves[index]), checkpoint.RootHash);
            Assert.True(result.IsValid, $"entry {index}: {result}");
            // A different entry's leaf does not verify with this proof.
            Assert.False(proof.Verify(MerkleHash.Leaf(leaves[(index + 1) % leaves.Count]), checkpoint.RootHash).IsValid);
        }
    }

    [Fact]
    public async Task Inclusion_proof_for_an_older_tree_size_verifies_against_that_trees_root()
    {
        var leaves = await AllLeavesAsync();
        var body = await Client.GetFromJsonAsync<JsonElement>($"v1/ledger/proofs/inclusion?index=5&treeSize={SeededLedgerServer.EarlierCheckpointSize}");
        Assert.False(body.TryGetProperty("checkpoint", out _)); // not the latest checkpoint's size: no note to give
        var root = Convert.FromBase64String(body.GetProperty("rootHash").GetString()!);
        Assert.Equal(RootOf(leaves.Take(SeededLedgerServer.EarlierCheckpointSize)), root);
        var proof = new InclusionProof(5, SeededLedgerServer.EarlierCheckpointSize, Hashes(body));
        Assert.True(proof.Verify(MerkleHash.Leaf(leaves[5]), root).IsValid);
    }

    [Theory]
    [InlineData(1, 17)]
    [InlineData(8, 17)]
    [InlineData(5, 13)]
    [InlineData(17, 17)]
    public async Task Consistency_proofs_verify_between_roots_recomputed_from_the_entries(int from, int to)
    {
        var leaves = await AllLeavesAsync();
        var body = await Client.GetFromJsonAsync<JsonElement>($"v1/ledger/proofs/consistency?from={from}&to={to}");
        var root1 = RootOf(leaves.Take(from));
        var root2 = RootOf(leaves.Take(to));
        Assert.Equal(root1, Convert.FromBase64String(body.GetProperty("fromRootHash").GetString()!));
        Assert.Equal(root2, Convert.FromBase64String(body.GetProperty("toRootHash").GetString()!));
        var proof = new ConsistencyProof(from, to, Hashes(body));
        Assert.True(proof.Verify(root1, root2).IsValid);
        if (to == seeded.Size) Assert.Equal(root2, OpenCheckpoint(body.GetProperty("checkpoint").GetString()!).RootHash);
        if (from < to) Assert.False(proof.Verify(RootOf(leaves.Take(from - 1).Append(leaves[^1])), root2).IsValid);
    }

    [Fact]
    public async Task Export_streams_the_leaf_bytes_as_json_lines_for_a_range()
    {
        var leaves = await AllLeavesAsync();
        using var all = await Client.GetAsync("v1/ledger/export");
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal("application/jsonl", all.Content.Headers.ContentType?.MediaType);
        var expected = string.Concat(leaves.Select(l => Encoding.UTF8.GetString(l) + "\n"));
        Assert.Equal(expected, await all.Content.ReadAsStringAsync());

        var range = await Client.GetStringAsync("v1/ledger/export?start=3&end=6");
        Assert.Equal(string.Concat(leaves.Skip(3).Take(3).Select(l => Encoding.UTF8.GetString(l) + "\n")), range);
        Assert.Equal("", await Client.GetStringAsync("v1/ledger/export?start=4&end=4"));
    }

    [Fact]
    public async Task Live_log_serves_exactly_the_files_an_export_writes()
    {
        var export = Path.Combine(seeded.WorkspacePath, "export-" + Guid.NewGuid().ToString("N")[..8]);
        await using (var store = await SqliteLedgerStore.OpenAsync(seeded.DatabasePath))
            await LedgerExporter.ExportAsync(store, new LedgerAuditOptions(SeededLedgerServer.Origin, [seeded.VerifierKey]), export);

        var files = Directory.GetFiles(export, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(export, f)).Order().ToList();
        Assert.Contains("checkpoint", files);
        Assert.Contains("entries.jsonl", files);
        Assert.Contains("tile/0/000.p/17", files);
        Assert.Contains("tile/entries/000.p/17", files);
        foreach (var file in files)
        {
            var served = await Client.GetByteArrayAsync("v1/ledger/log/" + file);
            Assert.True(File.ReadAllBytes(Path.Combine(export, file)).AsSpan().SequenceEqual(served), $"{file} differs from the export");
        }
        // Smaller partial tiles of the same tree are served too (a client holding an older checkpoint asks for them).
        var tile = await Client.GetByteArrayAsync("v1/ledger/log/tile/0/000.p/3");
        Assert.Equal(File.ReadAllBytes(Path.Combine(export, "tile/0/000.p/17"))[..(3 * 32)], tile);
    }

    [Fact]
    public async Task Audit_page_is_served_from_the_assembly_with_a_strict_content_security_policy()
    {
        using var page = await Client.GetAsync("audit/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"/audit/audit.js\"", html, StringComparison.Ordinal);
        // Nothing is loaded from elsewhere (an identity placeholder may show a URL as an example).
        Assert.DoesNotMatch(@"(src|href|action)\s*=\s*[""']?\s*(https?:)?//", html);

        using var script = await Client.GetAsync("audit/audit.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("crypto.subtle", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var style = await Client.GetAsync("audit/audit.css");
        Assert.Equal("text/css", style.Content.Headers.ContentType?.MediaType);
        using var missing = await Client.GetAsync("audit/other.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var noRedirect = await AuditAccess.CreateClientAsync(seeded.Server, followRedirects: false);
        using var bare = await noRedirect.GetAsync("audit");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/audit/", bare.Headers.Location?.OriginalString);
    }

    private async Task AssertProblemAsync(string url, HttpStatusCode status, string expected)
    {
        using var response = await Client.GetAsync(url);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private Checkpoint OpenCheckpoint(string note)
    {
        Assert.True(Checkpoint.TryOpen(Encoding.UTF8.GetBytes(note), SeededLedgerServer.Origin, [seeded.VerifierKey], out var checkpoint, out var error), error?.ToString());
        return checkpoint;
    }

    private async Task<List<byte[]>> AllLeavesAsync()
    {
        var page = await Client.GetFromJsonAsync<JsonElement>("v1/ledger/entries?limit=1000");
        return [.. page.GetProperty("entries").EnumerateArray().Select(e => Convert.FromBase64String(e.GetProperty("leaf").GetString()!))];
    }

    private static byte[] RootOf(IEnumerable<byte[]> leaves)
    {
        var range = new CompactRange();
        foreach (var leaf in leaves) range.Append(MerkleHash.Leaf(leaf));
        return range.Root();
    }

    private static byte[][] Hashes(JsonElement body) =>
        [.. body.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!))];
}
