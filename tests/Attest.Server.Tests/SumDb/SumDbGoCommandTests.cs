using Attest.GoModules;
using Attest.Testing;

namespace Attest.Server.Tests.SumDb;

/// <summary>
/// The real go command (Debian's golang-go, offline: modules come from a file:// GOPROXY the test writes) is the client
/// of Attest's checksum database, with nothing of Attest on its side: GOSUMDB is the database's verifier key and URL,
/// GONOSUMDB and GOPRIVATE are empty.
/// </summary>
[Collection(SumDbCollection.Name)]
public sealed class SumDbGoCommandTests(SumDbServerFixture fixture)
{
    private static string MainModule(GoOracle go)
    {
        var main = Path.Combine(go.Work, "main-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(main);
        File.WriteAllText(Path.Combine(main, "go.mod"), "module example.com/consumer\n\ngo 1.19\n");
        return main;
    }

    [Fact]
    public async Task Go_mod_download_of_published_private_modules_succeeds_and_writes_the_recorded_go_sum_lines()
    {
        using var go = fixture.NewGo();
        ModuleVersion[] modules =
        [
            new("corp.example/dl/lib", "v1.0.0"),
            new("corp.example/dl/lib/v2", "v2.1.0"),
            new("corp.example/dl/Upper", "v0.0.0-20240102030405-abcdefabcdef"),
            new("corp.example/dl/legacy", "v2.0.0+incompatible"),
        ];
        var recorded = new List<string>();
        foreach (var module in modules)
        {
            var legacy = module.Version.EndsWith("+incompatible", StringComparison.Ordinal);
            var zip = legacy
                ? SumDbServerFixture.Zip(module, ("legacy.go", "package legacy\n"), ("README", "no go.mod\n"))
                : SumDbServerFixture.SimpleZip(module, "download");
            SumDbServerFixture.Serve(go, module, zip, legacy ? $"module {module.Path}\n" : null);
            var (status, body) = await fixture.PublishAsync(module, zip);
            Assert.True(status == 201, body.RootElement.ToString());
            recorded.AddRange(body.RootElement.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!));
        }

        var main = MainModule(go);
        var result = go.Run(main, "-mod=mod", ["get", .. modules.Select(m => m.ToString())]);
        Assert.True(result.ExitCode == 0, result.StandardError);
        var goSum = File.ReadAllLines(Path.Combine(main, "go.sum")).Where(l => l.Length > 0).Order(StringComparer.Ordinal);
        Assert.Equal(recorded.Order(StringComparer.Ordinal), goSum);
        // The go command asked the database (its lookups and tiles are in its sumdb cache), not only the proxy.
        var cache = Path.Combine(go.ModCache, "cache", "download", "sumdb", SumDbServerFixture.Name);
        Assert.True(File.Exists(Path.Combine(cache, "lookup", "corp.example", "dl", "!upper@v0.0.0-20240102030405-abcdefabcdef")));
        Assert.True(Directory.Exists(Path.Combine(cache, "tile", "8", "0")));
    }

    [Fact]
    public async Task The_go_command_itself_refuses_a_module_zip_altered_after_publication()
    {
        using var go = fixture.NewGo();
        var module = new ModuleVersion("corp.example/tamper/zip", "v1.0.0");
        var published = SumDbServerFixture.SimpleZip(module, "as released");
        var (_, body) = await fixture.PublishAsync(module, published);
        var recordedHash = body.RootElement.GetProperty("hash").GetString();
        // The proxy (or a cache, or a re-tagged release) now serves other content under the same version.
        SumDbServerFixture.Serve(go, module, SumDbServerFixture.SimpleZip(module, "rewritten with a backdoor"));

        var result = go.Run(MainModule(go), "-mod=mod", "mod", "download", module.ToString());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"{module}: verifying module: checksum mismatch", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"{SumDbServerFixture.Name}: {recordedHash}", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("SECURITY ERROR", result.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(go.ModCache, "corp.example", "tamper", "zip@v1.0.0")));
    }

    [Fact]
    public async Task The_go_command_itself_refuses_a_go_mod_altered_after_publication()
    {
        using var go = fixture.NewGo();
        var module = new ModuleVersion("corp.example/tamper/gomod", "v1.0.0");
        var zip = SumDbServerFixture.SimpleZip(module);
        Assert.Equal(201, (await fixture.PublishAsync(module, zip)).Status);
        SumDbServerFixture.Serve(go, module, zip, $"module {module.Path}\n\ngo 1.17\n\nreplace example.com/x => example.com/evil v1.0.0\n");

        var result = go.Run(MainModule(go), "-mod=mod", "mod", "download", module.ToString());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"{module}: verifying go.mod: checksum mismatch", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("SECURITY ERROR", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_never_published_is_fetched_from_the_upstream_proxy_and_recorded()
    {
        using var go = fixture.NewGo();
        var module = new ModuleVersion("corp.example/fetched/lib", "v1.3.0");
        var zip = SumDbServerFixture.SimpleZip(module, "released through the upstream proxy");
        SumDbServerFixture.Serve(go, module, zip);
        fixture.ServeUpstream(module, zip);
        var before = fixture.Upstream.Requests;

        var result = go.Run(MainModule(go), "-mod=mod", "mod", "download", "-json", module.ToString());
        Assert.True(result.ExitCode == 0, result.StandardError + result.StandardOutput);
        using var download = System.Text.Json.JsonDocument.Parse(result.StandardOutput);
        var sum = download.RootElement.GetProperty("Sum").GetString();
        Assert.True(fixture.Upstream.Requests > before);

        // Recorded: the database now answers from its log, and the audit ledger says where the content came from.
        using (var lookup = await fixture.Server.SendAsync(HttpMethod.Get, $"sumdb/lookup/{module}", token: null))
            Assert.Contains($"{module.Path} {module.Version} {sum}\n", await lookup.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var entry = Assert.Single(await fixture.LedgerEntriesAsync("gosum.record", module));
        Assert.Equal("upstream", entry.GetProperty("client").GetString());
        Assert.Equal("upstream", entry.GetProperty("details").GetProperty("source").GetString());
        Assert.Equal(sum, entry.GetProperty("details").GetProperty("hash").GetString());
        // Published later with other content, the first record stands.
        Assert.Equal(409, (await fixture.PublishAsync(module, SumDbServerFixture.SimpleZip(module, "too late"))).Status);
    }

    [Fact]
    public void A_version_neither_published_nor_upstream_fails_the_go_command_with_the_reason()
    {
        using var go = fixture.NewGo();
        var module = new ModuleVersion("corp.example/nowhere/lib", "v1.0.0");
        SumDbServerFixture.Serve(go, module, SumDbServerFixture.SimpleZip(module));

        var result = go.Run(MainModule(go), "-mod=mod", "mod", "download", module.ToString());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("404 Not Found", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"not found: {module} has not been published, and the upstream module proxy does not have it", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upstream_miss_is_remembered_instead_of_asked_again_at_once()
    {
        var module = new ModuleVersion("corp.example/nowhere/remembered", "v1.0.0");
        using (var first = await fixture.Server.SendAsync(HttpMethod.Get, $"sumdb/lookup/{module}", token: null))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, first.StatusCode);
        var asked = fixture.Upstream.Requests;
        fixture.ServeUpstream(module, SumDbServerFixture.SimpleZip(module));
        using (var again = await fixture.Server.SendAsync(HttpMethod.Get, $"sumdb/lookup/{module}", token: null))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal(asked, fixture.Upstream.Requests);
        // Publishing is not held up by it.
        Assert.Equal(201, (await fixture.PublishAsync(module, SumDbServerFixture.SimpleZip(module))).Status);
        using var found = await fixture.Server.SendAsync(HttpMethod.Get, $"sumdb/lookup/{module}", token: null);
        Assert.Equal(System.Net.HttpStatusCode.OK, found.StatusCode);
    }

    [Fact]
    public void A_module_outside_the_patterns_is_not_served()
    {
        using var go = fixture.NewGo();
        var module = new ModuleVersion("public.example/lib", "v1.0.0");
        SumDbServerFixture.Serve(go, module, SumDbServerFixture.SimpleZip(module));
        var result = go.Run(MainModule(go), "-mod=mod", "mod", "download", module.ToString());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("is not a module path this checksum database serves", result.StandardError, StringComparison.Ordinal);

        // The interplay teams rely on: a path in GONOSUMDB is not looked up at all (and not checked).
        go.Environment["GONOSUMDB"] = "public.example";
        Assert.Equal(0, go.Run(MainModule(go), "-mod=mod", "mod", "download", module.ToString()).ExitCode);
    }

    [Fact]
    public async Task Through_GOPROXY_the_go_command_reaches_the_database_as_a_proxied_one()
    {
        using var go = fixture.NewGo();
        var module = new ModuleVersion("corp.example/proxied/lib", "v1.0.0");
        var zip = SumDbServerFixture.SimpleZip(module, "proxied");
        SumDbServerFixture.Serve(go, module, zip);
        var (_, body) = await fixture.PublishAsync(module, zip);
        // GOSUMDB names the database by its key alone; the first proxy in GOPROXY (Attest) says it proxies it.
        go.Environment["GOSUMDB"] = fixture.VerifierKey;
        go.Environment["GOPROXY"] = $"{fixture.Server.BaseUri.AbsoluteUri.TrimEnd('/')},file://{go.Proxy}";

        var main = MainModule(go);
        var result = go.Run(main, "-mod=mod", "get", module.ToString());
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains(body.RootElement.GetProperty("lines")[0].GetString()!, File.ReadAllText(Path.Combine(main, "go.sum")), StringComparison.Ordinal);

        // Attest answers module requests with 404 (the go command tries the next proxy) and proxies only its own database.
        using (var other = await fixture.Server.SendAsync(HttpMethod.Get, "sumdb/sum.golang.org/supported", token: null))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, other.StatusCode);
        using (var ours = await fixture.Server.SendAsync(HttpMethod.Get, $"sumdb/{SumDbServerFixture.Name}/supported", token: null))
            Assert.Equal(System.Net.HttpStatusCode.OK, ours.StatusCode);
        using (var info = await fixture.Server.SendAsync(HttpMethod.Get, $"{module.Path}/@v/{module.Version}.info", token: null))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, info.StatusCode);
    }
}
