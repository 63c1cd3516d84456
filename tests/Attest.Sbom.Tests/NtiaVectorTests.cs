using System.Text.Json;
using Attest.Sbom.Checks;
using Attest.Sbom.Reading;
using Attest.Testing;

namespace Attest.Sbom.Tests;

/// <summary>
/// spdx/ntia-conformance-checker's labelled cases (tests/vectors/sbom/ntia): the file name says which NTIA element
/// is missing. Several files also lack suppliers or versions on some package; those extra elements are computed here
/// from the raw JSON (independently of the reader), so the expected set is "the labelled element plus what the data
/// visibly lacks" and the test asserts the reported set is exactly that.
/// </summary>
public sealed class NtiaVectorTests
{
    private static readonly Dictionary<string, string> LabelToCode = new()
    {
        ["author_name"] = SbomCodes.NtiaAuthor,
        ["component_name"] = SbomCodes.NtiaName,
        ["component_version"] = SbomCodes.NtiaVersion,
        ["version"] = SbomCodes.NtiaVersion,
        ["dependency_relationships"] = SbomCodes.NtiaDependency,
        ["supplier_name"] = SbomCodes.NtiaSupplier,
        ["timestamp"] = SbomCodes.NtiaTimestamp,
        ["unique_identifiers"] = SbomCodes.NtiaIdentifier,
    };

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(RepositoryPaths.Vectors("sbom", "ntia"), "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Labelled_case_reports_exactly_the_missing_elements(string file)
    {
        var path = RepositoryPaths.Vectors("sbom", "ntia", file);
        var read = SbomReader.ReadFile(path);
        Assert.True(read.IsUsable, string.Join("\n", read.Findings));

        var expected = ExtrasVisibleInData(path);
        var label = Path.GetFileNameWithoutExtension(file).Replace(".spdx", "", StringComparison.Ordinal).Replace("spdx3__", "", StringComparison.Ordinal);
        if (label.StartsWith("missing_", StringComparison.Ordinal))
        {
            var element = label["missing_".Length..];
            if (LabelToCode.TryGetValue(element, out var code)) expected.Add(code);
            else Assert.Equal("concluded_license", element); // not an NTIA element: nothing is added
        }
        else if (label == "has_no_sbom") expected.Add(SbomCodes.NtiaDependency);
        else Assert.True(label is "no_elements_missing" or "has_sbom", $"unknown label {label}");

        var reported = SbomChecker.CheckNtia(read.Document!).Select(f => f.Code).ToHashSet();
        Assert.Equal(expected.Order(StringComparer.Ordinal), reported.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Supplier_finding_names_the_components_whose_supplier_is_NOASSERTION()
    {
        var read = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", "ntia", "missing_supplier_name.spdx.json"));
        var supplier = Assert.Single(SbomChecker.CheckNtia(read.Document!), f => f.Code == SbomCodes.NtiaSupplier);
        Assert.Equal(["glibc@2.11.1", "Jena@3.12.0", "Saxon@8.8"], supplier.Evidence!["components"].Split('\n'));
    }

    [Fact]
    public void The_five_OSS_NA_2023_examples_satisfy_all_elements_and_the_other_SPDX_23_examples_do_not()
    {
        foreach (var f in Directory.GetFiles(RepositoryPaths.Vectors("sbom", "spdx23"), "*.json"))
        {
            var read = SbomReader.ReadFile(f);
            Assert.True(read.IsUsable);
            Assert.Empty(read.Findings);
            var ntia = SbomChecker.CheckNtia(read.Document!);
            if (f.Contains("OSS-NA-2023", StringComparison.Ordinal)) Assert.Empty(ntia);
            else Assert.NotEmpty(ntia);
        }
    }

    /// <summary>Supplier and version gaps read straight from the JSON: SPDX 2 packages (also the pre-2.2 nested
    /// layout) and SPDX 3 *Package elements.</summary>
    private static HashSet<string> ExtrasVisibleInData(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var packages = new List<(string? Supplier, string? Version)>();
        var root = doc.RootElement.TryGetProperty("Document", out var legacy) ? legacy : doc.RootElement;
        if (root.TryGetProperty("packages", out var ps))
            packages.AddRange(ps.EnumerateArray().Select(p => (Str(p, "supplier"), Str(p, "versionInfo"))));
        if (root.TryGetProperty("documentDescribes", out var dd))
            packages.AddRange(dd.EnumerateArray().Where(d => d.ValueKind == JsonValueKind.Object && d.TryGetProperty("Package", out _))
                .Select(d => (Str(d.GetProperty("Package"), "supplier"), Str(d.GetProperty("Package"), "versionInfo"))));
        if (root.TryGetProperty("@graph", out var graph))
            packages.AddRange(graph.EnumerateArray().Where(e => Str(e, "type")?.EndsWith("Package", StringComparison.Ordinal) == true)
                .Select(e => (Str(e, "suppliedBy"), Str(e, "software_packageVersion"))));
        var extras = new HashSet<string>();
        if (packages.Any(p => p.Supplier is null or "NOASSERTION")) extras.Add(SbomCodes.NtiaSupplier);
        if (packages.Any(p => p.Version is null or "NOASSERTION")) extras.Add(SbomCodes.NtiaVersion);
        return extras;
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
