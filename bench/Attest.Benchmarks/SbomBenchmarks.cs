using System.Text.Json;
using Attest.Sbom.Checks;
using Attest.Sbom.Reading;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Attest.Benchmarks;

/// <summary>
/// Reading and checking a generated CycloneDX 1.6 BOM with 100,000 components (purl, SHA-256, supplier, licence
/// each; a dependency chain). Results are per component (OperationsPerInvoke), so components/s = 1 / Mean and
/// Allocated is bytes per component. Run: <c>dotnet run -c Release --project bench/Attest.Benchmarks -- --filter *Sbom*</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(QuickInProcess))]
public class SbomBenchmarks
{
    /// <summary>In-process (no generated project to build) and few iterations: each operation reads 100k
    /// components, so the whole run stays under a minute on a shared machine.</summary>
    private sealed class QuickInProcess : ManualConfig
    {
        public QuickInProcess() => AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(1)
            .WithIterationCount(5));
    }

    private const int Components = 100_000;
    private static readonly SbomPolicy Policy = new()
    {
        DeniedLicenses = ["GPL-3.0-only"],
        DeniedComponents = ["pkg:npm/package-42@<2"],
        RequireNtiaMinimumElements = true,
    };

    private byte[] _bom = [];

    [GlobalSetup]
    public void Setup() => _bom = Attest.Testing.SyntheticBom.CycloneDx(Components);

    [Benchmark(OperationsPerInvoke = Components)]
    public SbomReadResult Read_CycloneDx_100k() => SbomReader.Read(_bom);

    [Benchmark(OperationsPerInvoke = Components)]
    public int ReadAndCheck_CycloneDx_100k() => new SbomChecker(TimeProvider.System).Check(SbomReader.Read(_bom), Policy).Count;
}
