using System.Net;
using System.Text;
using System.Text.Json;
using Attest.GoModules;
using Attest.Server.Tests.Audit;
using Attest.Server.Tests.Checks;
using Attest.Testing;

namespace Attest.Server.Tests.SumDb;

/// <summary>Publication, the first-record-final rule and its audit trail, the verifier key, and what the database does
/// with bad input (a clear 4xx, or the 404 the go command falls through on).</summary>
[Collection(SumDbCollection.Name)]
public sealed class SumDbApiTests(SumDbServerFixture fixture)
{
    [Fact]
    public async Task A_second_publication_with_other_content_is_refused_and_recorded_in_the_audit_ledger_and_page()
    {
        var module = new ModuleVersion("corp.example/api/final", "v1.0.0");
        var first = SumDbServerFixture.SimpleZip(module, "first");
        var (created, recorded) = await fixture.PublishAsync(module, first);
        Assert.Equal(201, created);
        var hash = recorded.RootElement.GetProperty("hash").GetString()!;
        Assert.False(recorded.RootElement.GetProperty("alreadyRecorded").GetBoolean());

        // The same bytes again change nothing.
        var (again, same) = await fixture.PublishAsync(module, first);
        Assert.Equal(200, again);
        Assert.True(same.RootElement.GetProperty("alreadyRecorded").GetBoolean());
        Assert.Equal(recorded.RootElement.GetProperty("recordId").GetInt64(), same.RootElement.GetProperty("recordId").GetInt64());

        // Other content for the version is refused, by someone else too, naming both hashes.
        var other = await fixture.Server.TokenForScopesAsync(fixture.DataDirectory, "sign");
        var (conflict, problem) = await fixture.PublishAsync(module, SumDbServerFixture.SimpleZip(module, "second"), other);
        Assert.Equal(409, conflict);
        var p = problem.RootElement;
        Assert.Equal(hash, p.GetProperty("recordedHash").GetString());
        var offered = p.GetProperty("offeredHash").GetString()!;
        Assert.NotEqual(hash, offered);
        Assert.Contains(hash, p.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var entry = Assert.Single(await fixture.LedgerEntriesAsync("gosum.conflict", module));
        Assert.Equal(p.GetProperty("ledgerIndex").GetInt64(), entry.GetProperty("index").GetInt64());
        Assert.Equal("refused", entry.GetProperty("verdict").GetString());
        var details = entry.GetProperty("details");
        Assert.Equal(hash, details.GetProperty("recordedHash").GetString());
        Assert.Equal(offered, details.GetProperty("offeredHash").GetString());
        var uploader = details.GetProperty("uploader").GetString();
        Assert.StartsWith("attest-", uploader, StringComparison.Ordinal);
        Assert.NotEqual(fixture.SignClientId, uploader);
        Assert.Equal(fixture.SignClientId, details.GetProperty("recordedBy").GetString());
        var record = Assert.Single(await fixture.LedgerEntriesAsync("gosum.record", module));
        Assert.Equal(fixture.SignClientId, record.GetProperty("client").GetString());
        Assert.Equal(hash, record.GetProperty("details").GetProperty("hash").GetString());

        // The auditors' page shows it, in headless Chromium.
        var page = await AuditPageBrowserTests.RunAsync(new Dictionary<string, string>
        {
            ["AUDIT_URL"] = fixture.Server.BaseUri.ToString(),
            ["AUDIT_TOKEN"] = fixture.AuditToken,
        }, "audit-conflicts.mjs");
        Assert.Empty(page.RootElement.GetProperty("consoleErrors").EnumerateArray());
        var row = page.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetString()).ToList())
            .Single(r => r[2] == module.ToString());
        Assert.Equal([entry.GetProperty("index").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)], row.Take(1));
        Assert.Equal([module.ToString(), hash, offered, uploader, fixture.SignClientId], row.Skip(2));
    }

    [Fact]
    public async Task The_verifier_key_is_served_without_a_token_and_logged_at_start_up()
    {
        using var response = await fixture.Server.SendAsync(HttpMethod.Get, "v1/sumdb/verifier-key", token: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var key = body.RootElement.GetProperty("verifierKey").GetString()!;
        Assert.StartsWith(SumDbServerFixture.Name + "+", key, StringComparison.Ordinal);
        Assert.Equal($"{key} {fixture.SumDbUrl}", body.RootElement.GetProperty("gosumdb").GetString());
        Assert.Equal([SumDbServerFixture.Pattern], body.RootElement.GetProperty("patterns").EnumerateArray().Select(e => e.GetString()));
        Assert.True(Attest.Core.Transparency.NoteVerifierKey.TryParse(key, out var parsed, out _));
        Assert.Equal(Attest.Core.Transparency.NoteVerifierKey.Ed25519Type, parsed.SignatureType);
        Assert.Contains(JsonEncodedText.Encode(key).ToString(), fixture.Server.StandardOutput, StringComparison.Ordinal);

        // The latest signed tree head verifies with it.
        var note = await fixture.Server.Client.GetByteArrayAsync("sumdb/latest");
        Assert.True(Attest.Core.Transparency.Checkpoint.TryOpen(note, "go.sum database tree", [parsed], out var head, out var error), error?.Message);
        Assert.True(head.Size >= 0);
    }

    public static TheoryData<string, int, string> BadLookups => new()
    {
        { "sumdb/lookup/", 400, "path@version" },
        { "sumdb/lookup/corp.example/Lib@v1.0.0", 400, "case-encoded" },
        { "sumdb/lookup/corp.example/!lib!@v1.0.0", 400, "case-encoded" },
        { "sumdb/lookup/corp.example/a..b@v1.0.0", 400, "case-encoded" },
        { "sumdb/lookup/corp.example/lib@v1.0", 400, "not canonical" },
        { "sumdb/lookup/corp.example/lib@v1.0.0+meta", 400, "not canonical" },
        { "sumdb/lookup/corp.example/lib@v2.0.0", 400, "should be v0 or v1" },
        { "sumdb/lookup/corp.example/" + new string('a', 1100) + "@v1.0.0", 400, "longer than" },
        { "sumdb/lookup/public.example/lib@v1.0.0", 404, "not a module path this checksum database serves" },
        { "sumdb/tile/8/0/000.p/0", 400, "invalid tile path" },
        { "sumdb/tile/8/0/000.p/256", 400, "invalid tile path" },
        { "sumdb/tile/8/0/000.p/999999999999", 400, "invalid tile path" },
        { "sumdb/tile/8/0/00", 400, "invalid tile path" },
        { "sumdb/tile/8/0/x000/001", 400, "invalid tile path" },
        { "sumdb/tile/8/0/x999/x999/x999/x999/x999/x999/x999/999", 400, "invalid tile path" },
        { "sumdb/tile/8/64/000", 400, "invalid tile path" },
        { "sumdb/tile/8/-1/000", 400, "invalid tile path" },
        { "sumdb/tile/" + new string('8', 200), 400, "invalid tile path" },
        { "sumdb/tile/4/0/000", 404, "tiles of height 8" },
        { "sumdb/tile/8/0/999", 404, "beyond the signed tree" },
        { "sumdb/tile/8/7/000", 404, "beyond the signed tree" },
        { "sumdb/tile/8/data/x001/000", 404, "beyond the signed tree" },
        { "sumdb/tile/8/0/000.p/255", 404, "beyond the signed tree" },
        { "sumdb/other.example/sumdb/supported", 404, "proxies only the checksum database" },
        { $"sumdb/{SumDbServerFixture.Name}/unknown", 404, "has no unknown" },
        { $"sumdb/{SumDbServerFixture.Name}/tile/8/0/000.p/0", 400, "invalid tile path" },
    };

    [Theory]
    [MemberData(nameof(BadLookups))]
    public async Task Bad_lookups_and_tiles_get_a_clear_text_error_the_go_command_shows(string path, int status, string reason)
    {
        using var response = await fixture.Server.SendAsync(HttpMethod.Get, path, token: null);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains(reason, text, StringComparison.Ordinal);
        Assert.True(text.Length < 2048);
    }

    [Fact]
    public async Task Bad_uploads_get_a_problem_that_names_the_rule_and_record_nothing()
    {
        var module = new ModuleVersion("corp.example/api/bad", "v1.0.0");
        var zip = SumDbServerFixture.SimpleZip(module);
        var before = await TreeSizeAsync();

        async Task Expect(int status, string reason, MultipartFormDataContent form)
        {
            using (form)
            using (var response = await fixture.Server.SendAsync(HttpMethod.Post, "v1/gosum/modules", fixture.SignToken, form))
            {
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(status == (int)response.StatusCode, $"{status} expected for '{reason}', got {(int)response.StatusCode}: {text}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Contains(reason, text, StringComparison.Ordinal);
            }
        }

        await Expect(400, "fields 'module' and 'version' are required", new MultipartFormDataContent().AddFile("zip", zip));
        await Expect(400, "part 'zip' is missing", new MultipartFormDataContent().Add("module", module.Path).Add("version", module.Version));
        await Expect(400, "is not canonical", new MultipartFormDataContent().Add("module", module.Path).Add("version", "v1.0").AddFile("zip", zip));
        await Expect(400, "double dot", new MultipartFormDataContent().Add("module", "corp.example/a/../b").Add("version", "v1.0.0").AddFile("zip", zip));
        await Expect(400, "longer than 1024", new MultipartFormDataContent().Add("module", "corp.example/" + new string('a', 1100)).Add("version", "v1.0.0").AddFile("zip", zip));
        await Expect(400, "not a module path this checksum database holds", new MultipartFormDataContent().Add("module", "public.example/lib").Add("version", "v1.0.0")
            .AddFile("zip", SumDbServerFixture.SimpleZip(new ModuleVersion("public.example/lib", "v1.0.0"))));
        // The zip of another version, a traversal, a non-zip: the module zip rules.
        await Expect(400, "gosum.zip.path-prefix", new MultipartFormDataContent().Add("module", module.Path).Add("version", "v1.0.1").AddFile("zip", zip));
        var traversal = SumDbServerFixture.Zip(module, ("go.mod", "module corp.example/api/bad\n"), ("../../etc/passwd", "x"));
        await Expect(400, "gosum.zip.path-traversal", new MultipartFormDataContent().Add("module", module.Path).Add("version", module.Version).AddFile("zip", traversal));
        await Expect(400, "gosum.zip.unreadable", new MultipartFormDataContent().Add("module", module.Path).Add("version", module.Version).AddFile("zip", Encoding.UTF8.GetBytes("not a zip")));
        await Expect(400, "unknown field", new MultipartFormDataContent().Add("module", module.Path).Add("version", module.Version).Add("hash", "h1:trust-me").AddFile("zip", zip));
        using (var json = new StringContent("{}", Encoding.UTF8, "application/json"))
        using (var response = await fixture.Server.SendAsync(HttpMethod.Post, "v1/gosum/modules", fixture.SignToken, json))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);

        Assert.Equal(before, await TreeSizeAsync());
    }

    private async Task<long> TreeSizeAsync()
    {
        using var body = JsonDocument.Parse(await fixture.Server.Client.GetStringAsync("v1/sumdb/verifier-key"));
        return body.RootElement.GetProperty("treeSize").GetInt64();
    }
}
