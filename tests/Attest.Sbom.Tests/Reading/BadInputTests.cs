using System.Text;
using Attest.Sbom.Reading;

namespace Attest.Sbom.Tests.Reading;

/// <summary>Hostile or broken bytes end in one clear unusable-input finding, never an exception.</summary>
public sealed class BadInputTests
{
    private const string MinimalCdx = """{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[]}""";

    private static SbomReadResult Read(string json, SbomLimits? limits = null) => SbomReader.Read(Encoding.UTF8.GetBytes(json), limits);

    [Theory]
    [InlineData("duplicate key at the top level", """{"bomFormat":"CycloneDX","bomFormat":"CycloneDX","specVersion":"1.6"}""", SbomCodes.InputDuplicateKey, "$.bomFormat")]
    [InlineData("duplicate key in a nested component", """{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a"},{"type":"library","name":"b","name":"c"}]}""", SbomCodes.InputDuplicateKey, "$.components[1].name")]
    [InlineData("duplicate key written with an escape", """{"bomFormat":"CycloneDX","specVersion":"1.6","n\u0061me":1,"name":2}""", SbomCodes.InputDuplicateKey, "$.name")]
    [InlineData("lone surrogate escape in a key (found by fuzzing)", """{"bomFormat":"CycloneDX","specVersion":"1.6","\ud800":1}""", SbomCodes.InputInvalidJson, null)]
    [InlineData("lone surrogate escape in a value (found by fuzzing)", """{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a\udc00"}]}""", SbomCodes.InputInvalidJson, null)]
    [InlineData("trailing comma", """{"bomFormat":"CycloneDX","specVersion":"1.6",}""", SbomCodes.InputInvalidJson, null)]
    [InlineData("comment", """{"bomFormat":"CycloneDX", /* x */ "specVersion":"1.6"}""", SbomCodes.InputInvalidJson, null)]
    [InlineData("truncated", """{"bomFormat":"CycloneDX","specVersion":"1.6","components":[""", SbomCodes.InputInvalidJson, null)]
    [InlineData("two documents", MinimalCdx + MinimalCdx, SbomCodes.InputInvalidJson, null)]
    [InlineData("empty", "", SbomCodes.InputInvalidJson, null)]
    [InlineData("not an SBOM", """{"hello":"world"}""", SbomCodes.FormatUnknown, null)]
    [InlineData("a JSON array", "[1,2,3]", SbomCodes.FormatUnknown, null)]
    [InlineData("unsupported CycloneDX version", """{"bomFormat":"CycloneDX","specVersion":"9.9"}""", SbomCodes.FormatUnsupportedVersion, null)]
    [InlineData("unsupported SPDX version", """{"spdxVersion":"SPDX-1.2"}""", SbomCodes.FormatUnsupportedVersion, null)]
    public void Unusable_input_gives_one_finding(string description, string json, string code, string? path)
    {
        var result = Read(json);
        Assert.False(result.IsUsable, description);
        var finding = Assert.Single(result.Findings);
        Assert.Equal(code, finding.Code);
        if (path is not null) Assert.Equal(path, finding.Evidence!["path"]);
        Assert.True(SbomCodes.IsUnusableInput(finding.Code));
    }

    [Fact]
    public void Invalid_utf8_is_rejected_with_its_offset()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"bomFormat":"CycloneDX","specVersion":"1.6","x":"ab"}""").ToList();
        bytes.Insert(52, 0xC3); // a lead byte without its continuation, inside the string "ab"
        var result = SbomReader.Read(bytes.ToArray());
        var finding = Assert.Single(result.Findings);
        Assert.Equal(SbomCodes.InputInvalidUtf8, finding.Code);
        Assert.Equal("52", finding.Evidence!["offset"]);
    }

    [Fact]
    public void Nesting_beyond_the_depth_limit_is_rejected_with_a_path()
    {
        var limits = SbomLimits.Default with { MaxDepth = 10 };
        var deep = """{"bomFormat":"CycloneDX","specVersion":"1.6","properties":""" + new string('[', 20) + new string(']', 20) + "}";
        var finding = Assert.Single(Read(deep, limits).Findings);
        Assert.Equal(SbomCodes.InputTooDeep, finding.Code);
        Assert.StartsWith("$.properties[0]", finding.Evidence!["path"], StringComparison.Ordinal);

        var shallow = """{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"x":""" + new string('[', 5) + new string(']', 5) + "}";
        Assert.DoesNotContain(Read(shallow, limits).Findings, f => f.Code == SbomCodes.InputTooDeep);
    }

    [Fact]
    public void Ten_thousand_levels_of_nesting_fail_fast_and_cleanly()
    {
        var json = new string('[', 10_000) + new string(']', 10_000);
        Assert.Equal(SbomCodes.InputTooDeep, Assert.Single(Read(json).Findings).Code);
    }

    [Fact]
    public void Document_over_the_byte_limit_is_rejected_before_parsing()
    {
        var limits = SbomLimits.Default with { MaxBytes = 100 };
        var result = Read(MinimalCdx + new string(' ', 200), limits);
        Assert.Equal(SbomCodes.InputTooLarge, Assert.Single(result.Findings).Code);
    }

    [Fact]
    public void Stream_longer_than_the_limit_is_not_read_to_the_end()
    {
        var limits = SbomLimits.Default with { MaxBytes = 1024 * 1024 };
        using var endless = new EndlessStream();
        var result = SbomReader.Read(endless, limits);
        Assert.Equal(SbomCodes.InputTooLarge, Assert.Single(result.Findings).Code);
        Assert.True(endless.BytesRead <= limits.MaxBytes + 81920);
    }

    [Fact]
    public void String_over_the_length_limit_is_rejected()
    {
        var limits = SbomLimits.Default with { MaxStringBytes = 1000 };
        var json = """{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x","description":""" + "\"" + new string('a', 2000) + "\"}]}";
        var finding = Assert.Single(Read(json, limits).Findings);
        Assert.Equal(SbomCodes.InputStringTooLong, finding.Code);
        Assert.Equal("$.components[0].description", finding.Evidence!["path"]);
    }

    [Fact]
    public void More_components_than_the_limit_is_unusable()
    {
        var limits = SbomLimits.Default with { MaxComponents = 3 };
        var components = string.Join(",", Enumerable.Range(0, 4).Select(i => $$"""{"type":"library","name":"c{{i}}"}"""));
        var result = Read($$"""{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{{components}}]}""", limits);
        Assert.False(result.IsUsable);
        Assert.Equal(SbomCodes.InputTooManyElements, Assert.Single(result.Findings).Code);
        var three = Read($$"""{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{{string.Join(",", Enumerable.Range(0, 3).Select(i => $$"""{"type":"library","name":"c{{i}}"}"""))}}]}""", limits);
        Assert.True(three.IsUsable, string.Join("\n", three.Findings));
    }

    [Fact]
    public void Byte_order_mark_is_tolerated()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(MinimalCdx)).ToArray();
        var result = SbomReader.Read(bytes);
        Assert.True(result.IsUsable);
        Assert.Empty(result.Findings);
    }

    [Fact]
    public void Cyclic_dependencies_are_read_and_checked_in_bounded_time()
    {
        var json = """
            {"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
             "metadata":{"timestamp":"2026-01-01T00:00:00Z","tools":{"components":[{"type":"application","name":"t"}]}},
             "components":[{"type":"library","name":"a","version":"1","bom-ref":"a","supplier":{"name":"s"}},
                           {"type":"library","name":"b","version":"1","bom-ref":"b","supplier":{"name":"s"}}],
             "dependencies":[{"ref":"a","dependsOn":["b"]},{"ref":"b","dependsOn":["a"]}]}
            """;
        var result = Read(json);
        Assert.Empty(result.Findings);
        Assert.Equal(2, result.Document!.Relationships.Count);
        Assert.Empty(Attest.Sbom.Checks.SbomChecker.CheckNtia(result.Document));
    }

    [Theory]
    [InlineData("duplicate among a few keys", 5)]
    [InlineData("duplicate among many keys (hash set path)", 100)]
    public void Duplicate_key_is_found_however_many_keys_an_object_has(string description, int keys)
    {
        var properties = string.Join(",", Enumerable.Range(0, keys).Select(i => $"\"k{i}\":{i}"));
        var prefix = """{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"properties2":{""";
        var unique = Read(prefix + properties + "}}");
        Assert.DoesNotContain(unique.Findings, f => f.Code == SbomCodes.InputDuplicateKey);
        var duplicated = Read(prefix + properties + $",\"k{keys / 2}\":0" + "}}");
        var finding = Assert.Single(duplicated.Findings);
        Assert.True(finding.Code == SbomCodes.InputDuplicateKey, description);
        Assert.Equal($"$.properties2.k{keys / 2}", finding.Evidence!["path"]);
    }

    [Fact]
    public void Absurdly_long_licence_expression_in_a_document_is_reported_not_parsed()
    {
        var expression = string.Join(" OR ", Enumerable.Repeat("MIT", 50_000));
        var result = Read($$"""{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"a","licenses":[{"expression":"{{expression}}"}]}]}""");
        Assert.Empty(result.Findings);
        var findings = new Attest.Sbom.Checks.SbomChecker(TimeProvider.System).Check(result, new Attest.Sbom.Checks.SbomPolicy { DeniedLicenses = ["GPL-3.0-only"] });
        Assert.Equal(SbomCodes.LicenseUnparseable, Assert.Single(findings).Code);
    }

    [Fact]
    public void One_gigabyte_file_is_rejected_from_its_length_without_reading_it()
    {
        using var dir = new Attest.Testing.TempDirectory();
        var path = dir.Combine("huge.json");
        using (var f = File.Create(path)) f.SetLength(1L << 30); // sparse: no gigabyte is written
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var result = SbomReader.ReadFile(path);
        Assert.Equal(SbomCodes.InputTooLarge, Assert.Single(result.Findings).Code);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 1_000_000);
    }

    [Fact]
    public void CycloneDx_xml_is_not_mistaken_for_json()
    {
        var result = SbomReader.ReadFile(Attest.Testing.RepositoryPaths.Vectors("sbom", "generated", "cdx-npm-1.6.xml"));
        Assert.False(result.IsUsable);
        Assert.Equal(SbomCodes.InputInvalidJson, Assert.Single(result.Findings).Code);
    }

    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)' ');
            BytesRead += count;
            return count;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
