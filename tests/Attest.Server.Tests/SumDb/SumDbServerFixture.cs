using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Attest.GoModules;
using Attest.Server.Tests.Checks;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.SumDb;

/// <summary>The checksum-database tests share one server (they use distinct module paths): a private database named
/// <see cref="Name"/> for <c>corp.example</c> modules, whose lookup misses are fetched from an upstream module proxy
/// (a plain static file server the tests write into, reached over plain HTTP as Attest:Registries:Insecure allows).</summary>
[CollectionDefinition(Name)]
public sealed class SumDbCollection : ICollectionFixture<SumDbServerFixture>
{
    public const string Name = "attest.test/sumdb";
}

public sealed class SumDbServerFixture : IAsyncLifetime
{
    public const string Name = SumDbCollection.Name;
    public const string Pattern = "corp.example";

    private readonly ServerWorkspace _workspace = new();

    public ServerProcess Server { get; private set; } = null!;

    public StaticFileServer Upstream { get; private set; } = null!;

    public string UpstreamDirectory => _workspace.Combine("upstream");

    public string DataDirectory => _workspace.DataDirectory;

    public string WorkspacePath => _workspace.Path;

    public string SignToken { get; private set; } = null!;

    public string SignClientId { get; private set; } = null!;

    public string AuditToken { get; private set; } = null!;

    public string VerifierKey { get; private set; } = null!;

    /// <summary>The database as GOSUMDB names it: <c>&lt;server&gt;/sumdb</c>.</summary>
    public string SumDbUrl => new Uri(Server.BaseUri, "sumdb").AbsoluteUri;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(UpstreamDirectory);
        Upstream = new StaticFileServer(UpstreamDirectory);
        var upstreamHost = Upstream.BaseUrl.Authority;
        Server = await _workspace.Start(
            $"--Attest:SumDb:Name={Name}",
            $"--Attest:SumDb:Patterns={Pattern}",
            $"--Attest:SumDb:Upstream={Upstream.BaseUrl.AbsoluteUri}",
            $"--Attest:Registries:Insecure={upstreamHost}").WaitUntilListeningAsync();
        var ci = await Server.CreateClientAsync(DataDirectory, "ci-publisher", "sign");
        SignClientId = ci.ClientId;
        SignToken = await Server.TokenAsync(ci);
        AuditToken = await Server.TokenForScopesAsync(DataDirectory, "audit");
        using var key = JsonDocument.Parse(await Server.Client.GetStringAsync("v1/sumdb/verifier-key"));
        VerifierKey = key.RootElement.GetProperty("verifierKey").GetString()!;
    }

    /// <summary>A go command whose GOSUMDB is this database (key and URL), with its own module cache and a file://
    /// GOPROXY the test writes; GONOSUMDB and GOPRIVATE are empty, so every module is checked.</summary>
    public GoOracle NewGo()
    {
        var go = new GoOracle();
        go.Environment["GOSUMDB"] = $"{VerifierKey} {SumDbUrl}";
        return go;
    }

    /// <summary>The zip of a module version: <c>files</c> under <c>path@version/</c>.</summary>
    public static byte[] Zip(ModuleVersion module, params (string Name, string Content)[] files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true, Encoding.UTF8))
            foreach (var (name, content) in files)
            {
                using var s = zip.CreateEntry(module.ZipPrefix + name, CompressionLevel.Fastest).Open();
                s.Write(Encoding.UTF8.GetBytes(content));
            }
        return buffer.ToArray();
    }

    /// <summary>A small module with a go.mod (module path and go line) and one Go file whose text is <paramref name="marker"/>.</summary>
    public static byte[] SimpleZip(ModuleVersion module, string marker = "") =>
        Zip(module, ("go.mod", GoMod(module)), ("lib.go", $"package lib\n\n// {marker}\nconst Version = \"{module.Version}\"\n"));

    public static string GoMod(ModuleVersion module) => $"module {module.Path}\n\ngo 1.17\n";

    /// <summary>Puts a module version on the go command's file:// proxy: exactly these zip bytes, with its .mod and .info.</summary>
    public static void Serve(GoOracle go, ModuleVersion module, byte[] zip, string? goMod = null)
    {
        var dir = Path.Combine(go.Proxy, ModulePath.Escape(module.Path)!, "@v");
        Directory.CreateDirectory(dir);
        var stem = Path.Combine(dir, ModulePath.EscapeVersion(module.Version)!);
        File.WriteAllBytes(stem + ".zip", zip);
        File.WriteAllText(stem + ".mod", goMod ?? GoMod(module));
        File.WriteAllText(stem + ".info", $"{{\"Version\":\"{module.Version}\",\"Time\":\"2024-01-02T03:04:05Z\"}}");
        File.AppendAllText(Path.Combine(dir, "list"), module.Version + "\n");
    }

    /// <summary>Puts a module zip on the upstream module proxy Attest fetches lookup misses from.</summary>
    public void ServeUpstream(ModuleVersion module, byte[] zip)
    {
        var dir = Path.Combine(UpstreamDirectory, ModulePath.Escape(module.Path)!, "@v");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, ModulePath.EscapeVersion(module.Version)! + ".zip"), zip);
    }

    /// <summary>POST /v1/gosum/modules with the sign token.</summary>
    public async Task<(int Status, JsonDocument Body)> PublishAsync(ModuleVersion module, byte[] zip, string? token = null)
    {
        using var form = new MultipartFormDataContent().Add("module", module.Path).Add("version", module.Version).AddFile("zip", zip, "module.zip");
        using var response = await Server.SendAsync(HttpMethod.Post, "v1/gosum/modules", token ?? SignToken, form);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "{}" : text));
    }

    /// <summary>Audit-ledger entries of one kind about one module version, newest first.</summary>
    public async Task<List<JsonElement>> LedgerEntriesAsync(string kind, ModuleVersion module)
    {
        using var response = await Server.SendAsync(HttpMethod.Get,
            $"v1/ledger/entries?kind={kind}&image={Uri.EscapeDataString(module.ToString())}&order=desc", AuditToken);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. body.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.Clone())];
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Upstream.DisposeAsync();
        _workspace.Dispose();
    }
}
