using System.Diagnostics;
using System.Text.Json;
using Attest.Sbom.Checks;
using Attest.Sbom.Reading;
using Xunit.Abstractions;

namespace Attest.Sbom.Tests;

/// <summary>A generated CycloneDX 1.6 document with 100,000 components is read and checked in bounded memory.</summary>
public sealed class LargeBomTests(ITestOutputHelper output)
{
    public const int Components = 100_000;

    /// <summary>Writes a CycloneDX 1.6 BOM with <paramref name="count"/> npm components, each with purl, SHA-256 hash,
    /// supplier and a licence (every 1000th GPL-3.0-only, the rest MIT), and a dependency graph chaining them.</summary>
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
            w.WriteStartArray("authors");
            w.WriteStartObject();
            w.WriteString("name", "generator");
            w.WriteEndObject();
            w.WriteEndArray();
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

    [Fact]
    public void Hundred_thousand_components_are_read_and_checked_in_bounded_memory()
    {
        var bytes = Generate(Components);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();

        var read = SbomReader.Read(bytes);
        var findings = new SbomChecker(TimeProvider.System).Check(read, new SbomPolicy
        {
            DeniedLicenses = ["GPL-3.0-only"],
            DeniedComponents = ["pkg:npm/package-42@<2"],
            RequireNtiaMinimumElements = true,
        });

        stopwatch.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var retained = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        output.WriteLine($"{bytes.Length / 1e6:0.0} MB document, {Components} components: {stopwatch.Elapsed.TotalMilliseconds:0} ms, allocated {allocated / 1e6:0} MB, model retained {retained / 1e6:0} MB");

        Assert.True(read.IsUsable);
        Assert.Empty(read.Findings);
        Assert.Equal(Components, read.Document!.Components.Count);
        Assert.Equal(Components - 1, read.Document.Relationships.Count);
        var licence = Assert.Single(findings, f => f.Code == SbomCodes.LicenseDenied);
        Assert.Equal((Components / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture), licence.Evidence!["count"]);
        Assert.Equal("package-42@1.42.0", Assert.Single(findings, f => f.Code == SbomCodes.ComponentDenied).Evidence!["components"]);
        Assert.Equal(2, findings.Count);
        // The model for 100k components is about 60 MB; a DOM of the whole document kept alive would push it past
        // this bound.
        Assert.True(retained < 120_000_000, $"retained {retained} bytes");
        GC.KeepAlive(read);
    }
}
