using System.Text.Json;
using Attest.Sbom.Checks;
using Attest.Sbom.Reading;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Attest.Benchmarks;

/// <summary>
/// Reading and checking a generated CycloneDX 1.6 BOM with 100,000 components (purl, SHA-256, supplier, licence
/// each; a dependency chain). Results are per component (OperationsPerInvoke), so components/s = 1 / Mean and
/// Allocated is bytes per component. Run: <c>dotnet run -c Release --project bench/Attest.Benchmarks -- --filter *Sbom*</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class SbomBenchmarks
{
    private const int Components = 100_000;
    private static readonly SbomPolicy Policy = new()
    {
        DeniedLicenses = ["GPL-3.0-only"],
        DeniedComponents = ["pkg:npm/package-42@<2"],
        RequireNtiaMinimumElements = true,
    };

    private byte[] _bom = [];

    [GlobalSetup]
    public void Setup() => _bom = Generate(Components);

    [Benchmark(OperationsPerInvoke = Components)]
    public SbomReadResult Read_CycloneDx_100k() => SbomReader.Read(_bom);

    [Benchmark(OperationsPerInvoke = Components)]
    public int ReadAndCheck_CycloneDx_100k() => new SbomChecker(TimeProvider.System).Check(SbomReader.Read(_bom), Policy).Count;

    /// <summary>Same shape as the 100k document in tests/Attest.Sbom.Tests/LargeBomTests.cs.</summary>
    public static byte[] Generate(int count)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("bomFormat", "CycloneDX");
            w.WriteString("specVersion", "1.6");
            w.WriteString("serialNumber", "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79");
            w.WriteNumber("version", 1);
            w.WriteStartObject("metadata");
            w.WriteString("timestamp", "2026-05-31T12:00:00Z");
            w.WriteEndObject();
            w.WriteStartArray("components");
            for (var i = 0; i < count; i++)
            {
                w.WriteStartObject();
                w.WriteString("type", "library");
                w.WriteString("bom-ref", $"c{i}");
                w.WriteString("name", $"package-{i}");
                w.WriteString("version", $"1.{i % 100}.{i % 7}");
                w.WriteString("purl", $"pkg:npm/package-{i}@1.{i % 100}.{i % 7}");
                w.WriteStartObject("supplier");
                w.WriteString("name", "Acme");
                w.WriteEndObject();
                w.WriteStartArray("hashes");
                w.WriteStartObject();
                w.WriteString("alg", "SHA-256");
                w.WriteString("content", i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteStartArray("licenses");
                w.WriteStartObject();
                w.WriteStartObject("license");
                w.WriteString("id", i % 1000 == 0 ? "GPL-3.0-only" : "MIT");
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("dependencies");
            for (var i = 0; i < count; i++)
            {
                w.WriteStartObject();
                w.WriteString("ref", $"c{i}");
                w.WriteStartArray("dependsOn");
                if (i + 1 < count) w.WriteStringValue($"c{i + 1}");
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
