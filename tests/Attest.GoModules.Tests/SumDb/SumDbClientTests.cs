using System.Net;
using System.Net.Sockets;
using Attest.GoModules.SumDb;
using Attest.Testing;

namespace Attest.GoModules.Tests.SumDb;

/// <summary>Fetching from a checksum database over HTTP: a loopback server plays sum.golang.org with the real 2022
/// responses; what the client fetches must verify exactly as the go command's own cache did.</summary>
public sealed class SumDbClientTests
{
    private static readonly string Vectors = RepositoryPaths.Vectors("go", "real-sumdb-cache-2022");

    private sealed class FakeSumDb : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;
        private readonly Func<string, byte[]?> _serve;

        public FakeSumDb(Func<string, byte[]?> serve)
        {
            _serve = serve;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = new Uri($"http://127.0.0.1:{port}/");
            _listener.Prefixes.Add(Url.ToString());
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public Uri Url { get; }
        public List<string> Requests { get; } = [];

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
                var path = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath.TrimStart('/'));
                lock (Requests) Requests.Add(path);
                var body = _serve(path);
                context.Response.StatusCode = body is null ? 404 : 200;
                if (body is not null) await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Close(); // not Stop first: see StaticFileServer.DisposeAsync
            await _loop;
        }
    }

    private static byte[]? ServeRealCache(string path)
    {
        var file = path == "latest"
            ? Path.Combine(Vectors, "config", "sum.golang.org", "latest")
            : Path.Combine(Vectors, "cache", "sum.golang.org", path.Replace('/', Path.DirectorySeparatorChar));
        return File.Exists(file) ? File.ReadAllBytes(file) : null;
    }

    private static List<ModuleVersion> RealModules() =>
        GoSumFile.Load(RepositoryPaths.Vectors("go", "real-h1-vectors-2022.txt")).Modules.ToList();

    [Fact]
    public async Task Fetched_lookups_and_tiles_verify_and_prove_every_record()
    {
        await using var server = new FakeSumDb(ServeRealCache);
        using var cache = new TempDirectory("attest-sumdb-fetch");
        using var http = new HttpClient();
        var modules = RealModules();
        var fetch = await new SumDbClient(http).FetchAsync(server.Url, "sum.golang.org", modules, cache.Path);
        Assert.Empty(fetch.Findings);
        var report = new SumDbVerifier().VerifyCache(cache.Path, fetch.LatestNote);
        Assert.True(report.Passed, string.Join("\n", report.Findings));
        Assert.Equal(modules.Count, report.RecordsProven);
        Assert.Empty(SumDbVerifier.CompareGoSum(GoSumFile.Load(RepositoryPaths.Vectors("go", "real-h1-vectors-2022.txt")), report));
        Assert.All(server.Requests.Where(r => r.StartsWith("tile/", StringComparison.Ordinal)), r => Assert.True(SumDbTile.TryParsePath(r, out var t) && t.Height == 8));
    }

    [Fact]
    public async Task A_server_that_alters_a_tile_is_caught()
    {
        string? altered = null;
        await using var server = new FakeSumDb(path =>
        {
            var body = ServeRealCache(path);
            if (body is not null && altered is null && path.StartsWith("tile/8/0/", StringComparison.Ordinal))
            {
                altered = path;
                body[body.Length / 2] ^= 0x01;
            }
            return body;
        });
        using var cache = new TempDirectory("attest-sumdb-fetch");
        using var http = new HttpClient();
        var fetch = await new SumDbClient(http).FetchAsync(server.Url, "sum.golang.org", RealModules(), cache.Path);
        var report = new SumDbVerifier().VerifyCache(cache.Path, fetch.LatestNote);
        Assert.NotNull(altered);
        Assert.False(report.Passed);
        Assert.Contains(report.Findings, f => f.Code == GoSumCodes.SumDbInclusion);
    }

    [Fact]
    public async Task Missing_lookups_are_reported()
    {
        await using var server = new FakeSumDb(ServeRealCache);
        using var cache = new TempDirectory("attest-sumdb-fetch");
        using var http = new HttpClient();
        var fetch = await new SumDbClient(http).FetchAsync(server.Url, "sum.golang.org", [new ModuleVersion("example.com/not-there", "v1.0.0")], cache.Path);
        Assert.Equal(GoSumCodes.SumDbRecordMissing, Assert.Single(fetch.Findings).Code);
    }

    [Fact]
    public async Task Verify_command_with_sumdb_url_fetches_and_checks_go_sum()
    {
        await using var server = new FakeSumDb(ServeRealCache);
        using var main = new TempDirectory();
        File.WriteAllText(main.Combine("go.mod"), "module example.com/m\n\ngo 1.16\n\nrequire github.com/davecgh/go-spew v1.1.1\n");
        File.WriteAllText(main.Combine("go.sum"), "github.com/davecgh/go-spew v1.1.1 h1:vj9j/u1bqnvCEfJOwUhtlOARqs3+rkHYY13jYWTU97c=\ngithub.com/davecgh/go-spew v1.1.1/go.mod h1:J7Y8YcW2NihsgmVo/mv3lAwl/skON4iLHjSsI+c5H38=\n");
        var ok = await Task.Run(() => Cli.Run("gosum", "verify", main.Path, "--sumdb-url", server.Url.ToString(), "--sumdb-cache", main.Combine("sumdb")));
        Assert.True(ok.ExitCode == 0, ok.Error + ok.Output);
        File.WriteAllText(main.Combine("go.sum"), "github.com/davecgh/go-spew v1.1.1 h1:vj9j/u1bqnvCEfJOwUhtlOARqs3+rkHYY13jYWTU97c=\ngithub.com/davecgh/go-spew v1.1.1/go.mod h1:aJ7OseBLWd+WPN8Ntt+Mh2Wf34+dK67wR2kFnuTqfks=\n");
        var bad = await Task.Run(() => Cli.Run("gosum", "verify", main.Path, "--sumdb-url", server.Url.ToString()));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains(GoSumCodes.SumDbHashMismatch, bad.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 36642L * 256 + 5, 9380838, "tile/8/0/x036/642")]
    [InlineData(0, 36643L * 256 + 5, 9380838, "tile/8/0/x036/643.p/230")]
    [InlineData(8, 36642, 9380838, "tile/8/1/143.p/35")]
    [InlineData(17, 0, 9380838, "tile/8/2/000.p/143")]
    public void TileOf_uses_the_width_the_tree_has_at_that_place(int level, long index, long size, string path) =>
        Assert.Equal(path, SumDbClient.TileOf(new Attest.Core.Transparency.MerkleNodeId(level, index), size).Path);
}
