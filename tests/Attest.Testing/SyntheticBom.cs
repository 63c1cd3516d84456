using System.Text.Json;

namespace Attest.Testing;

/// <summary>Generated SBOMs for size tests and benchmarks (the benchmark project compiles this file in as a link).</summary>
public static class SyntheticBom
{
    /// <summary>Writes a CycloneDX 1.6 BOM with <paramref name="count"/> npm components, each with purl, SHA-256 hash,
    /// supplier and a licence (every 1000th GPL-3.0-only, the rest MIT), and a dependency graph chaining them.</summary>
    public static byte[] CycloneDx(int count)
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
}
