using System.Net;
using Attest.GoModules.SumDb;
using Attest.Testing;

namespace Attest.GoModules.Tests.SumDb;

/// <summary>Fetching module zips from an upstream module proxy: the GOPROXY paths, 404/410 as "not there", every redirect
/// hop through the caller's egress rule, and the size bound. The proxy is a real HTTP listener on loopback.</summary>
public sealed class GoProxyClientTests : IDisposable
{
    private readonly TempDirectory _dir = new("attest-goproxy");
    private readonly HttpListener _listener = new();
    private readonly Uri _base;
    private readonly List<string> _requested = [];
    private Func<HttpListenerContext, Task> _answer = c => { c.Response.StatusCode = 404; return Task.CompletedTask; };

    public GoProxyClientTests()
    {
        _base = new Uri($"http://127.0.0.1:{RigProcess.FreeLoopbackPort()}/proxy/");
        _listener.Prefixes.Add(new Uri(_base, "/").AbsoluteUri);
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                lock (_requested) _requested.Add(context.Request.RawUrl!);
                await _answer(context);
                context.Response.Close();
            }
        });
    }

    private GoProxyClient Client(Func<Uri, string?>? checkHop = null, GoModulesLimits? limits = null) =>
        new(new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) }, _base, checkHop ?? (_ => null), limits);

    [Fact]
    public async Task Fetches_the_zip_at_the_case_encoded_proxy_path()
    {
        _answer = async c =>
        {
            var bytes = "zip bytes"u8.ToArray();
            c.Response.ContentLength64 = bytes.Length;
            await c.Response.OutputStream.WriteAsync(bytes);
        };
        var target = _dir.Combine("m.zip");
        var result = await Client().FetchZipAsync(new ModuleVersion("corp.example/Upper/lib", "v1.0.0-RC.1"), target);
        Assert.Equal(GoProxyFetchStatus.Fetched, result.Status);
        Assert.Equal("zip bytes", await File.ReadAllTextAsync(target));
        Assert.Equal(["/proxy/corp.example/!upper/lib/@v/v1.0.0-!r!c.1.zip"], _requested);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(410)]
    public async Task Not_found_and_gone_mean_the_proxy_does_not_have_it(int status)
    {
        _answer = c => { c.Response.StatusCode = status; return Task.CompletedTask; };
        Assert.Equal(GoProxyFetchStatus.NotFound, (await Client().FetchZipAsync(new ModuleVersion("corp.example/lib", "v1.0.0"), _dir.Combine("m.zip"))).Status);
    }

    [Fact]
    public async Task A_server_error_is_a_failure_that_names_the_status()
    {
        _answer = c => { c.Response.StatusCode = 500; return Task.CompletedTask; };
        var result = await Client().FetchZipAsync(new ModuleVersion("corp.example/lib", "v1.0.0"), _dir.Combine("m.zip"));
        Assert.Equal(GoProxyFetchStatus.Failed, result.Status);
        Assert.Contains("answered 500", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_redirect_hop_passes_the_egress_rule_or_the_fetch_fails()
    {
        _answer = c =>
        {
            c.Response.StatusCode = 302;
            c.Response.RedirectLocation = "http://169.254.169.254/latest/meta-data/";
            return Task.CompletedTask;
        };
        var hops = new List<Uri>();
        var result = await Client(hop =>
        {
            hops.Add(hop);
            return hop.Host == "169.254.169.254" ? "link-local refused" : null;
        }).FetchZipAsync(new ModuleVersion("corp.example/lib", "v1.0.0"), _dir.Combine("m.zip"));
        Assert.Equal(GoProxyFetchStatus.Failed, result.Status);
        Assert.Equal("link-local refused", result.Reason);
        Assert.Equal(["127.0.0.1", "169.254.169.254"], hops.Select(h => h.Host));
    }

    [Fact]
    public async Task Redirect_loops_end()
    {
        _answer = c =>
        {
            c.Response.StatusCode = 302;
            c.Response.RedirectLocation = c.Request.RawUrl;
            return Task.CompletedTask;
        };
        var result = await Client().FetchZipAsync(new ModuleVersion("corp.example/lib", "v1.0.0"), _dir.Combine("m.zip"));
        Assert.Equal(GoProxyFetchStatus.Failed, result.Status);
        Assert.Contains("redirected more than", result.Reason, StringComparison.Ordinal);
        Assert.Equal(GoProxyClient.MaxRedirects + 1, _requested.Count);
    }

    [Fact]
    public async Task A_zip_larger_than_the_limit_is_cut_off_whether_or_not_its_length_is_declared()
    {
        var limits = GoModulesLimits.Default with { MaxZipFileBytes = 1000 };
        foreach (var declared in new[] { true, false })
        {
            _answer = async c =>
            {
                if (declared) c.Response.ContentLength64 = 5000;
                else c.Response.SendChunked = true;
                await c.Response.OutputStream.WriteAsync(new byte[5000]);
            };
            var result = await Client(limits: limits).FetchZipAsync(new ModuleVersion("corp.example/lib", "v1.0.0"), _dir.Combine("m.zip"));
            Assert.Equal(GoProxyFetchStatus.Failed, result.Status);
            Assert.Contains("larger than 1000 bytes", result.Reason, StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        _listener.Close(); // not Stop first: see StaticFileServer.DisposeAsync
        _dir.Dispose();
    }
}
