using System.IO.Compression;
using Attest.Core;
using Attest.GoModules;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Attest.Benchmarks;

/// <summary>h1 hashing throughput on a 32 MiB module (256 files of 128 KiB): from a zip, from an extracted tree,
/// against one SHA-256 over the same bytes. Short runs (a few seconds each) so the whole class stays under a minute:
/// <c>dotnet run -c Release --project bench/Attest.Benchmarks -- --filter *GoModules*</c>.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class GoModulesBenchmarks
{
    private const int Files = 256;
    private const int FileSize = 128 << 10;
    private static readonly ModuleVersion Module = new("example.com/bench/m", "v1.0.0");
    private readonly byte[] _all = new byte[Files * FileSize];
    private string _dir = "";
    private string _zip = "";

    [GlobalSetup]
    public void Setup()
    {
        new Random(42).NextBytes(_all);
        _dir = Directory.CreateTempSubdirectory("attest-bench-").FullName;
        _zip = Path.Combine(_dir, "m.zip");
        var tree = Path.Combine(_dir, "tree");
        using var zip = ZipFile.Open(_zip, ZipArchiveMode.Create);
        for (var i = 0; i < Files; i++)
        {
            var rel = $"d{i % 16}/f{i}.bin";
            var chunk = _all.AsSpan(i * FileSize, FileSize);
            Directory.CreateDirectory(Path.Combine(tree, $"d{i % 16}"));
            File.WriteAllBytes(Path.Combine(tree, rel), chunk.ToArray());
            using var s = zip.CreateEntry(Module.ZipPrefix + rel, CompressionLevel.NoCompression).Open();
            s.Write(chunk);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(Baseline = true, Description = "SHA-256 of the same 32 MiB")]
    public Digest Sha256_baseline() => Digest.Sha256(_all);

    [Benchmark(Description = "h1 of the module zip (32 MiB)")]
    public string? HashZip() => ModuleZip.Hash(_zip, Module).Hash;

    [Benchmark(Description = "h1 of the extracted tree (32 MiB)")]
    public string? HashDir() => ModuleDirectory.Hash(Path.Combine(_dir, "tree"), Module).Hash;
}
