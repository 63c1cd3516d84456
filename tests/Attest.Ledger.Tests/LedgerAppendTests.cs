using System.Text;
using System.Text.Json;
using Attest.Core.Transparency;
using Microsoft.Data.Sqlite;

namespace Attest.Ledger.Tests;

public class LedgerAppendTests
{
    [Fact]
    public async Task Appends_get_consecutive_indexes_and_survive_reopening_the_file()
    {
        await using var fx = new LedgerFixture();
        await using (var ledger = await fx.OpenAsync())
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), await LedgerFixture.AppendSequentiallyAsync(ledger, 10));

        await using var store = await SqliteLedgerStore.OpenAsync(fx.Path);
        Assert.Equal(10, await store.GetSizeAsync());
        var rows = await store.ReadEntriesAsync(0, 10).ToListAsync();
        for (var i = 0; i < 10; i++)
        {
            Assert.True(LedgerEntryCodec.TryParse(rows[i].Body, out var entry, out _));
            Assert.Equal(i, entry.Index);
            Assert.Equal(LedgerFixture.Decision(i).Image, entry.Entry.Image);
            Assert.Equal(MerkleHash.Leaf(rows[i].Body), rows[i].LeafHash);
        }

        // Reopened, the ledger continues from the stored tree.
        await using var again = await fx.OpenAsync();
        Assert.Equal(10, await again.AppendAsync(LedgerFixture.Decision(10)));
    }

    [Fact]
    public async Task Concurrent_appends_share_transactions_and_each_gets_a_distinct_index()
    {
        await using var fx = new LedgerFixture();
        await using (var ledger = await fx.OpenAsync())
        {
            var indexes = await Task.WhenAll(Enumerable.Range(0, 600).Select(i => ledger.AppendAsync(LedgerFixture.Decision(i))));
            Assert.Equal(Enumerable.Range(0, 600).Select(i => (long)i), indexes.Order());
            await ledger.CheckpointAsync();
        }
        var report = await fx.AuditAsync();
        Assert.True(report.IsValid, string.Join("; ", report.Findings));
        Assert.Equal(600, report.EntriesChecked);
        Assert.Equal(600, report.VerifiedCheckpointSize);
    }

    [Fact]
    public async Task Appends_with_a_checkpoint_get_their_exact_bytes_and_a_signed_checkpoint_that_proves_them()
    {
        await using var fx = new LedgerFixture();
        await using var ledger = await fx.OpenAsync();
        await ledger.AppendAsync(LedgerFixture.Decision(0));
        var results = await Task.WhenAll(Enumerable.Range(1, 200).Select(i => ledger.AppendWithCheckpointAsync(LedgerFixture.Decision(i))));

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), results.Select(r => r.Entry.Index).Order());
        // Concurrent callers share checkpoints: far fewer were signed than entries appended.
        Assert.InRange(results.Select(r => r.Checkpoint.Size).Distinct().Count(), 1, 100);
        var stored = await ledger.Store.ReadEntriesAsync(0, 201).ToListAsync();
        foreach (var (entry, checkpoint) in results)
        {
            Assert.True(checkpoint.Size > entry.Index);
            Assert.Equal(stored[(int)entry.Index].Body, entry.Bytes);
            Assert.True(Checkpoint.TryOpen(Encoding.UTF8.GetBytes(checkpoint.Note), ledger.Origin, ledger.VerifierKeys, out var opened, out var error), error?.ToString());
            Assert.Equal(checkpoint.RootHash, opened.RootHash);
            var proof = await ledger.GetInclusionProofAsync(entry.Index, checkpoint.Size);
            Assert.True(proof.Verify(MerkleHash.Leaf(entry.Bytes), checkpoint.RootHash).IsValid);
        }
    }

    [Fact]
    public async Task Two_writers_on_one_file_never_assign_the_same_index()
    {
        await using var fx = new LedgerFixture();
        await using var a = await fx.OpenAsync();
        await using var b = await fx.OpenAsync();
        var tasks = new List<Task<long>>();
        for (var i = 0; i < 100; i++) tasks.Add((i % 2 == 0 ? a : b).AppendAsync(LedgerFixture.Decision(i)));
        var indexes = await Task.WhenAll(tasks);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), indexes.Order());
        await a.CheckpointAsync();
        await b.CheckpointAsync();
        var report = await fx.AuditAsync();
        Assert.True(report.IsValid, string.Join("; ", report.Findings));
        Assert.Equal(100, report.VerifiedCheckpointSize);
    }

    [Fact]
    public void The_stores_index_and_look_up_exactly_the_transparency_log_kinds()
    {
        var listed = System.Text.RegularExpressions.Regex.Matches(LedgerSearchIndexes.TransparencyLogOnly, "'([^']*)'").Select(m => m.Groups[1].Value);
        Assert.Equal(LedgerEntryKinds.TransparencyLog.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.Contains("WHERE kind IN" + LedgerSearchIndexes.TransparencyLogOnly[" AND kind IN".Length..], LedgerSearchIndexes.Statements);
    }

    [Fact]
    public async Task Entry_too_large_or_with_non_object_details_is_refused_and_nothing_is_appended()
    {
        await using var fx = new LedgerFixture();
        await using var ledger = await fx.OpenAsync();
        var huge = JsonDocument.Parse(JsonSerializer.Serialize(new { blob = new string('x', LedgerLimits.MaxEntryBytes) })).RootElement;
        await Assert.ThrowsAsync<ArgumentException>(() => ledger.AppendAsync(LedgerEntry.OperatorNote(huge)));
        var array = JsonDocument.Parse("[1]").RootElement;
        await Assert.ThrowsAsync<ArgumentException>(() => ledger.AppendAsync(new LedgerEntry { Kind = "note", Details = array }));
        await Assert.ThrowsAsync<ArgumentException>(() => ledger.AppendAsync(new LedgerEntry { Kind = "Bad Kind" }));
        // A Rekor body under a kind the stores do not index as transparency-log entries would be one no lookup finds.
        var spec = JsonDocument.Parse("""{"data":{}}""").RootElement;
        await Assert.ThrowsAsync<ArgumentException>(() => ledger.AppendAsync(new LedgerEntry { Kind = LedgerEntryKinds.Note, ApiVersion = "0.0.1", Spec = spec }));
        Assert.Equal(0, await ledger.AppendAsync(LedgerEntry.OperatorNote(JsonDocument.Parse("""{"text":"key rotated"}""").RootElement)));
        Assert.Equal(1, await ledger.Store.GetSizeAsync());
    }

    [Fact]
    public async Task Triggers_block_updates_and_deletes_through_ordinary_sql()
    {
        await using var fx = new LedgerFixture();
        await using (var ledger = await fx.OpenAsync())
        {
            await LedgerFixture.AppendSequentiallyAsync(ledger, 3);
            await ledger.CheckpointAsync();
        }
        await using var connection = new SqliteConnection($"Data Source={fx.Path}");
        await connection.OpenAsync();
        foreach (var sql in new[]
                 {
                     "UPDATE entries SET verdict = 'allow' WHERE idx = 0", "DELETE FROM entries WHERE idx = 2",
                     "UPDATE entries SET subtree_hashes = x'00' WHERE idx = 1", "DELETE FROM checkpoints",
                     "UPDATE checkpoint_head SET size = 0, note = '' WHERE id = 1", "DELETE FROM checkpoint_head",
                 })
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            var error = await Assert.ThrowsAsync<SqliteException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(19, error.SqliteErrorCode); // SQLITE_CONSTRAINT from RAISE(ABORT)
        }
    }

    [Fact]
    public async Task Entries_serialize_deterministically_with_ordered_keys_and_their_index()
    {
        var at = new DateTimeOffset(2026, 11, 21, 7, 0, 0, 123, TimeSpan.Zero);
        var entry = LedgerEntry.AdmissionDecision("r/app:1", "sha256:00", "prod", "deny",
            JsonDocument.Parse("""{"reasons":["unsigned"]}""").RootElement);
        var bytes = LedgerEntryCodec.Serialize(42, at, entry);
        Assert.Equal(bytes, LedgerEntryCodec.Serialize(42, at, entry with { }));
        Assert.Equal("""{"details":{"reasons":["unsigned"]},"digest":"sha256:00","image":"r/app:1","index":42,"kind":"admission.decision","namespace":"prod","recordedAt":"2026-11-21T07:00:00.123Z","v":1,"verdict":"deny"}""",
            Encoding.UTF8.GetString(bytes));
        Assert.True(LedgerEntryCodec.TryParse(bytes, out var parsed, out _));
        Assert.Equal(42, parsed.Index);
        Assert.Equal(at, parsed.RecordedAt);
        Assert.Equal("deny", parsed.Entry.Verdict);
    }

    [Fact]
    public async Task Query_filters_by_kind_digest_and_verdict_with_paging()
    {
        await using var fx = new LedgerFixture();
        await using var ledger = await fx.OpenAsync();
        await LedgerFixture.AppendSequentiallyAsync(ledger, 30);
        await ledger.AppendAsync(LedgerEntry.SignatureIssued("sha256:abc", "ci"));
        var denies = await ledger.Store.QueryAsync(new LedgerQuery { Verdict = "deny" });
        Assert.Equal(10, denies.Count);
        var page = await ledger.Store.QueryAsync(new LedgerQuery { Verdict = "deny", AfterIndex = denies[4].Index, Limit = 3 });
        Assert.Equal(denies.Skip(5).Take(3).Select(e => e.Index), page.Select(e => e.Index));
        var signed = await ledger.Store.QueryAsync(new LedgerQuery { Kind = LedgerEntryKinds.SignatureIssued, Digest = "sha256:abc" });
        Assert.Equal(30, Assert.Single(signed).Index);
    }

    [Fact]
    public async Task Query_newest_first_pages_backwards_with_the_same_filters()
    {
        await using var fx = new LedgerFixture();
        await using var ledger = await fx.OpenAsync();
        await LedgerFixture.AppendSequentiallyAsync(ledger, 30);
        var denies = await ledger.Store.QueryAsync(new LedgerQuery { Verdict = "deny" });
        var newest = await ledger.Store.QueryAsync(new LedgerQuery { Verdict = "deny", NewestFirst = true, Limit = 4 });
        Assert.Equal(denies.Select(e => e.Index).Reverse().Take(4), newest.Select(e => e.Index));
        var older = await ledger.Store.QueryAsync(new LedgerQuery { Verdict = "deny", NewestFirst = true, BeforeIndex = newest[^1].Index, Limit = 100 });
        Assert.Equal(denies.Select(e => e.Index).Reverse().Skip(4), older.Select(e => e.Index));
    }
}

public class LedgerEntryCodecTests
{
    public static TheoryData<string, string> Malformed => new()
    {
        { "not JSON", "hello" },
        { "array", "[1]" },
        { "trailing garbage", """{"index":1,"v":1} x""" },
        { "unterminated", """{"index":1,"v":1""" },
        { "no index", """{"v":1}""" },
        { "negative index", """{"index":-1,"v":1}""" },
        { "fractional index", """{"index":1.5,"v":1}""" },
        { "string index", """{"index":"1","v":1}""" },
        { "unknown version", """{"index":1,"v":2}""" },
        { "comment", """{"index":1,/*x*/"v":1}""" },
        { "too deep", "{\"index\":1,\"v\":1,\"d\":" + new string('[', 40) + new string(']', 40) + "}" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Audit_reader_rejects_malformed_entries(string description, string json)
    {
        Assert.False(LedgerEntryCodec.TryReadIndex(System.Text.Encoding.UTF8.GetBytes(json), out _, out _), description);
    }

    [Fact]
    public void Audit_reader_finds_the_index_past_nested_details()
    {
        var bytes = LedgerEntryCodec.Serialize(1234, DateTimeOffset.UnixEpoch,
            LedgerEntry.OperatorNote(JsonDocument.Parse("""{"index":99,"nested":{"index":7}}""").RootElement));
        Assert.True(LedgerEntryCodec.TryReadIndex(bytes, out var index, out _));
        Assert.Equal(1234, index);
    }
}

public sealed class LedgerEntryCanonicalFormTests
{
    [Fact]
    public void Entries_with_the_same_content_have_the_same_bytes_whatever_the_member_order_and_escapes()
    {
        using var a = System.Text.Json.JsonDocument.Parse("""{"b":1,"a":{"y":"é","x":[1.0,2]}}""");
        using var b = System.Text.Json.JsonDocument.Parse("""{"a":{"x":[1,2],"y":"\u00e9"},"b":1}""");
        var time = DateTimeOffset.Parse("2026-11-21T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var first = LedgerEntryCodec.Serialize(7, time, new LedgerEntry { Kind = LedgerEntryKinds.Note, Details = a.RootElement });
        var second = LedgerEntryCodec.Serialize(7, time, new LedgerEntry { Kind = LedgerEntryKinds.Note, Details = b.RootElement });
        Assert.Equal(first, second);
        Assert.Equal(
            """{"details":{"a":{"x":[1,2],"y":"é"},"b":1},"index":7,"kind":"note","recordedAt":"2026-11-21T10:00:00.000Z","v":1}""",
            System.Text.Encoding.UTF8.GetString(first));
    }
}

public sealed class LedgerEntrySplicedFormTests
{
    /// <summary>The reference form: write the whole entry with System.Text.Json, then canonicalize it (RFC 8785).</summary>
    private static byte[] Reference(long index, DateTimeOffset at, LedgerEntry entry)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (entry.ApiVersion is { } apiVersion) writer.WriteString("apiVersion", apiVersion);
            if (entry.Client is { } client) writer.WriteString("client", client);
            if (entry.Details is { } details)
            {
                writer.WritePropertyName("details");
                details.WriteTo(writer);
            }
            if (entry.Digest is { } digest) writer.WriteString("digest", digest);
            if (entry.Image is { } image) writer.WriteString("image", image);
            writer.WriteNumber("index", index);
            writer.WriteString("kind", entry.Kind);
            if (entry.Namespace is { } ns) writer.WriteString("namespace", ns);
            writer.WriteString("recordedAt", LedgerEntryCodec.FormatTime(at));
            if (entry.Spec is { } spec)
            {
                writer.WritePropertyName("spec");
                spec.WriteTo(writer);
            }
            writer.WriteNumber("v", 1);
            if (entry.Verdict is { } verdict) writer.WriteString("verdict", verdict);
            writer.WriteEndObject();
        }
        return Attest.Core.Json.CanonicalJson.Canonicalize(buffer.ToArray());
    }

    [Fact]
    public void Spliced_entries_equal_the_canonicalized_whole_entry_for_escapes_unicode_and_absent_fields()
    {
        var at = new DateTimeOffset(2026, 11, 21, 9, 8, 7, 6, TimeSpan.Zero);
        using var details = JsonDocument.Parse("""{"z":1e2,"a":"<&>\u2028\"\\","index":5,"nested":{"b":[true,null,-0.5],"a":"\ud83d\ude00"}}""");
        var entries = new[]
        {
            new LedgerEntry { Kind = LedgerEntryKinds.Note },
            new LedgerEntry { Kind = LedgerEntryKinds.Note, Details = details.RootElement },
            LedgerEntry.AdmissionDecision("r.example/a\"b:1", "sha256:ff", "ns\u0001\t", "deny", details.RootElement),
            new LedgerEntry { Kind = "k", Client = "cli\u00e9nt", Verdict = "allow" },
            new LedgerEntry { Kind = "k", Namespace = "only-namespace" },
            LedgerEntry.SignatureIssued("sha256:00", "ci<script>"),
            new LedgerEntry { Kind = LedgerEntryKinds.SignatureIssued, ApiVersion = "0.0.1", Spec = details.RootElement, Digest = "sha256:01", Client = "ci" },
            new LedgerEntry { Kind = LedgerEntryKinds.AttestationIssued, ApiVersion = "0.0.1", Spec = details.RootElement, Verdict = "v" },
        };
        // Up to 2^53: beyond it RFC 8785 would print the index as a rounded double, the spliced form stays exact.
        foreach (var index in new long[] { 0, 9, 10, 123_456_789, 1L << 53 })
            foreach (var entry in entries)
                Assert.Equal(Encoding.UTF8.GetString(Reference(index, at, entry)), Encoding.UTF8.GetString(LedgerEntryCodec.Serialize(index, at, entry)));
    }

    [Fact]
    public async Task An_entry_that_has_no_canonical_form_fails_its_own_append_and_the_ledger_goes_on()
    {
        await using var fx = new LedgerFixture();
        await using var ledger = await fx.OpenAsync();
        using var duplicate = JsonDocument.Parse("""{"a":1,"a":2}""");
        await Assert.ThrowsAsync<ArgumentException>(() => ledger.AppendAsync(LedgerEntry.OperatorNote(duplicate.RootElement)));
        Assert.Equal(0, await ledger.AppendAsync(LedgerFixture.Decision(1)));
    }
}
