using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Attest.GoModules;

namespace Attest.Testing;

/// <summary>The real go command as an offline oracle (shared/tools/go-oracle/README.md): modules are served from a
/// <c>file://</c> GOPROXY written by the test, with GOPATH, GOMODCACHE, GOCACHE and HOME in a temporary directory,
/// GOSUMDB off, no network. Fails (never skips) when go is not installed.</summary>
public sealed class GoOracle : IDisposable
{
    private readonly TempDirectory _work = new("attest-go-oracle");

    public GoOracle()
    {
        Go = Prerequisites.Executable("go", "golang-go", "/usr/lib/go-1.19/bin", "/usr/local/go/bin");
        Directory.CreateDirectory(Proxy);
        Directory.CreateDirectory(Home);
    }

    public string Go { get; }

    /// <summary>Variables applied after the defaults (e.g. GOSUMDB=sum.golang.org for the offline sumdb test).</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);
    public string Work => _work.Path;
    public string Proxy => _work.Combine("proxy");
    public string Home => _work.Combine("home");
    public string GoPath => _work.Combine("gopath");
    public string ModCache => _work.Combine("gopath", "pkg", "mod");

    /// <summary>Writes <c>list</c>, <c>V.info</c>, <c>V.mod</c> and <c>V.zip</c> for one module into the proxy.</summary>
    public void Publish(ModuleVersion module, byte[]? mod, IEnumerable<(string Name, byte[] Data)> zipEntries, byte[]? info = null)
    {
        var dir = Path.Combine(Proxy, ModulePath.Escape(module.Path) ?? throw new ArgumentException(module.Path), "@v");
        Directory.CreateDirectory(dir);
        var stem = Path.Combine(dir, ModulePath.EscapeVersion(module.Version)!);
        if (mod is not null) File.WriteAllBytes(stem + ".mod", mod);
        File.WriteAllBytes(stem + ".info", info ?? Encoding.UTF8.GetBytes($"{{\"Version\":\"{module.Version}\",\"Time\":\"2024-01-02T03:04:05Z\"}}"));
        using (var zip = ZipFile.Open(stem + ".zip", ZipArchiveMode.Create, Encoding.UTF8))
            foreach (var (name, data) in zipEntries)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
                using var s = entry.Open();
                s.Write(data);
            }
        var list = Path.Combine(dir, "list");
        var versions = File.Exists(list) ? File.ReadAllLines(list).ToList() : [];
        if (!SemVer.IsPseudo(module.Version) && !versions.Contains(module.Version)) versions.Add(module.Version);
        File.WriteAllLines(list, versions);
    }

    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        public Result EnsureSuccess(string what) =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{what} failed ({ExitCode}): {StandardError}{StandardOutput}");
    }

    public Result Run(string workingDirectory, string? goFlags, params string[] args)
    {
        var start = new ProcessStartInfo(Go)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        var env = start.Environment;
        foreach (var key in env.Keys.Where(k => k.StartsWith("GO", StringComparison.Ordinal)).ToList()) env.Remove(key);
        env["HOME"] = Home;
        env["GOPATH"] = GoPath;
        env["GOMODCACHE"] = ModCache;
        env["GOCACHE"] = _work.Combine("gocache");
        env["GOENV"] = "off";
        env["GOPROXY"] = "file://" + Proxy;
        env["GOSUMDB"] = "off";
        env["GONOSUMDB"] = "";
        env["GOPRIVATE"] = "";
        env["GO111MODULE"] = "on";
        env["GOTOOLCHAIN"] = "local";
        env["GOWORK"] = "off";
        env["GOFLAGS"] = goFlags ?? "-mod=mod";
        env["CGO_ENABLED"] = "0";
        foreach (var (key, value) in Environment) env[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"go {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public sealed record Download(string Path, string Version, string? Sum, string? GoModSum, string? Zip, string? Dir, string? GoMod, string? Error);

    /// <summary><c>go mod download -json</c> for the given module versions, in a scratch main module.</summary>
    public IReadOnlyList<Download> DownloadJson(IEnumerable<string> moduleVersions)
    {
        var dir = Path.Combine(Work, "download-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "go.mod"), "module example.com/oracle\n\ngo 1.19\n");
        var result = Run(dir, "-mod=mod", ["mod", "download", "-json", .. moduleVersions]);
        var downloads = new List<Download>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(result.StandardOutput), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            var e = doc.RootElement;
            string? S(string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;
            downloads.Add(new Download(S("Path")!, S("Version") ?? "", S("Sum"), S("GoModSum"), S("Zip"), S("Dir"), S("GoMod"), S("Error")));
        }
        if (downloads.Count == 0) throw new InvalidOperationException($"go mod download printed nothing ({result.ExitCode}): {result.StandardError}");
        return downloads;
    }

    /// <summary>Makes a module-cache file writable (the cache is read-only by design) so a test can tamper with it.</summary>
    public static void MakeWritable(string path)
    {
        if (OperatingSystem.IsWindows()) return; // no Unix modes there
        if (Directory.Exists(path))
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserWrite);
            return;
        }
        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserWrite);
        var parent = Path.GetDirectoryName(path)!;
        File.SetUnixFileMode(parent, File.GetUnixFileMode(parent) | UnixFileMode.UserWrite);
    }

    public void Dispose()
    {
        if (Directory.Exists(Work) && !OperatingSystem.IsWindows())
            foreach (var d in Directory.EnumerateDirectories(Work, "*", SearchOption.AllDirectories).Prepend(Work))
                try { File.SetUnixFileMode(d, File.GetUnixFileMode(d) | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.UserRead); }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
        _work.Dispose();
    }
}
