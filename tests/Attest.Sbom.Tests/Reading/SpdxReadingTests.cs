using Attest.Sbom.Checks;
using Attest.Sbom.Model;
using Attest.Sbom.Reading;
using Attest.Testing;

namespace Attest.Sbom.Tests.Reading;

public sealed class SpdxReadingTests
{
    public static TheoryData<string, string> Examples()
    {
        var data = new TheoryData<string, string>();
        foreach (var dir in new[] { "spdx23", "spdx3" })
            foreach (var f in Directory.GetFiles(RepositoryPaths.Vectors("sbom", dir), "*.json").Order(StringComparer.Ordinal))
                data.Add(dir, Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Spdx_example_reads_without_violations_and_has_named_components(string dir, string file)
    {
        var result = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", dir, file));
        Assert.True(result.IsUsable);
        Assert.Empty(result.Findings);
        var doc = result.Document!;
        Assert.Equal(dir == "spdx23" ? SbomFormat.Spdx2 : SbomFormat.Spdx3, doc.Format);
        Assert.NotEmpty(doc.Components);
        Assert.All(doc.Components, c => Assert.False(string.IsNullOrEmpty(c.Name)));
        Assert.NotNull(doc.Creation.Created);
        Assert.NotEmpty(doc.Roots);
    }

    [Fact]
    public void Spdx3_licences_are_resolved_through_relationships()
    {
        var doc = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", "ntia", "spdx3__has_no_sbom.json")).Document!;
        var hello = Assert.Single(doc.Components);
        Assert.Equal("hello", hello.Name);
        Assert.Contains(hello.Licenses, l => l.Acknowledgement == LicenseAcknowledgement.Concluded && l.Text == "GPL-3.0-or-later");
        Assert.Contains(hello.Licenses, l => l.Acknowledgement == LicenseAcknowledgement.Declared && l.Text == "GPL-3.0-or-later");
    }

    [Fact]
    public void Spdx3_supplier_is_the_name_of_the_agent_suppliedBy_points_to()
    {
        var doc = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", "ntia", "spdx3__has_sbom.json")).Document!;
        Assert.Equal("Acme Company", doc.Components.Single(c => c.Name == "Acme Application").Supplier);
        Assert.Null(doc.Components.Single(c => c.Name == "openssl").Supplier);
        Assert.Equal(["Application Owner Jane Doe", "Acme Company"], doc.Creation.Authors);
    }

    [Fact]
    public void Npm_spdx_dependency_of_edges_are_turned_into_depends_on()
    {
        var doc = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", "generated", "npm-sbom.spdx.json")).Document!;
        var byId = doc.Components.ToDictionary(c => c.Id!);
        var edges = doc.Relationships.Where(r => r.Kind == RelationshipKind.DependsOn && r.Type == "DEPENDENCY_OF")
            .Select(r => (byId[r.From].Name, byId[r.To].Name)).ToList();
        Assert.Contains(("attest-sbom-fixture", "left-pad"), edges);
        Assert.Contains(("spdx-expression-parse", "spdx-exceptions"), edges);
        Assert.DoesNotContain(("left-pad", "attest-sbom-fixture"), edges);
    }

    [Fact]
    public void Spdx2_package_fields_map_into_the_model()
    {
        var doc = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", "generated", "npm-sbom.spdx.json")).Document!;
        var leftPad = doc.Components.Single(c => c.Name == "left-pad");
        Assert.Equal("1.3.0", leftPad.Version);
        Assert.Equal("pkg:npm/left-pad@1.3.0", leftPad.Purl);
        Assert.Contains(leftPad.Licenses, l => l.Text == "WTFPL");
        Assert.NotEmpty(leftPad.Hashes);
        Assert.Equal("SPDX-2.3", doc.SpecVersion);
        Assert.StartsWith("http", doc.Identifier, StringComparison.Ordinal);
    }

    [Fact]
    public void Spdx2_violations_name_their_path()
    {
        var result = SbomReader.Read("""
            {"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOC","name":"x","dataLicense":"MIT",
             "creationInfo":{"created":"yesterday","creators":["Robot: r2"]},
             "packages":[{"SPDXID":"bad id","name":"p"}],
             "relationships":[{"spdxElementId":"SPDXRef-DOC","relationshipType":"DESCRIBES"}]}
            """u8.ToArray());
        var paths = result.Findings.Select(f => f.Evidence!["path"] + " " + f.Message).ToList();
        Assert.Contains(paths, p => p.StartsWith("$.SPDXID ", StringComparison.Ordinal));
        Assert.Contains(paths, p => p.StartsWith("$.dataLicense ", StringComparison.Ordinal));
        Assert.Contains(paths, p => p.StartsWith("$ ", StringComparison.Ordinal) && p.Contains("documentNamespace", StringComparison.Ordinal));
        Assert.Contains(paths, p => p.StartsWith("$.creationInfo.created ", StringComparison.Ordinal));
        Assert.Contains(paths, p => p.StartsWith("$.creationInfo.creators[0] ", StringComparison.Ordinal));
        Assert.Contains(paths, p => p.StartsWith("$.packages[0].SPDXID ", StringComparison.Ordinal));
        Assert.Contains(paths, p => p.StartsWith("$.packages[0] ", StringComparison.Ordinal) && p.Contains("downloadLocation", StringComparison.Ordinal));
        Assert.Contains(paths, p => p.StartsWith("$.relationships[0] ", StringComparison.Ordinal) && p.Contains("relatedSpdxElement", StringComparison.Ordinal));
    }

    [Fact]
    public void CycloneDx_tools_are_read_from_the_legacy_array_and_the_1_5_object()
    {
        var legacy = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", "cdx", "1.4", "valid-metadata-tool-1.4.json")).Document!;
        Assert.NotEmpty(legacy.Creation.Tools);
        var modern = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", "generated", "cdx-npm-1.6.json")).Document!;
        Assert.Contains(modern.Creation.Tools, t => t.Name.Contains("cyclonedx-npm", StringComparison.Ordinal));
    }

    [Fact]
    public void CycloneDx_expression_and_concluded_acknowledgement_are_kept()
    {
        var doc = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", "cdx", "1.6", "valid-license-expression-1.6.json")).Document!;
        var license = Assert.Single(doc.Components.SelectMany(c => c.Licenses));
        Assert.NotNull(license.Expression);
        Assert.Equal(license.Expression.ToString(), Attest.Sbom.Licensing.LicenseExpression.Parse(license.Text).ToString());
        Assert.Empty(SbomChecker.EffectiveLicenses(new Component { Name = "x" }));
    }

    [Fact]
    public void Spdx_22_documents_are_read_and_other_versions_are_refused()
    {
        var text = File.ReadAllText(RepositoryPaths.Vectors("sbom", "ntia", "no_elements_missing.spdx.json"));
        Assert.Contains("\"SPDX-2.3\"", text, StringComparison.Ordinal);
        var spdx22 = SbomReader.Read(System.Text.Encoding.UTF8.GetBytes(text.Replace("\"SPDX-2.3\"", "\"SPDX-2.2\"", StringComparison.Ordinal)));
        Assert.True(spdx22.IsUsable);
        Assert.Equal("SPDX-2.2", spdx22.Document!.SpecVersion);
        var spdx21 = SbomReader.Read(System.Text.Encoding.UTF8.GetBytes(text.Replace("\"SPDX-2.3\"", "\"SPDX-2.1\"", StringComparison.Ordinal)));
        Assert.Equal(SbomCodes.FormatUnsupportedVersion, Assert.Single(spdx21.Findings).Code);
    }

    [Fact]
    public void CycloneDx_17_is_read_with_the_16_rules()
    {
        var text = File.ReadAllText(RepositoryPaths.Vectors("sbom", "cdx", "1.6", "valid-bom-1.6.json")).Replace("\"1.6\"", "\"1.7\"", StringComparison.Ordinal);
        var result = SbomReader.Read(System.Text.Encoding.UTF8.GetBytes(text));
        Assert.True(result.IsUsable);
        Assert.Equal("1.7", result.Document!.SpecVersion);
        Assert.Empty(result.Findings);
        var invalid = File.ReadAllText(RepositoryPaths.Vectors("sbom", "cdx", "1.6", "invalid-component-type-1.6.json")).Replace("\"1.6\"", "\"1.7\"", StringComparison.Ordinal);
        Assert.Contains(SbomReader.Read(System.Text.Encoding.UTF8.GetBytes(invalid)).Findings, f => f.Evidence!["path"] == "$.components[0].type");
    }

    [Fact]
    public void CycloneDx_swid_tag_id_counts_as_a_unique_identifier()
    {
        var doc = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", "cdx", "1.6", "valid-component-swid-1.6.json")).Document!;
        var component = Assert.Single(doc.Components);
        Assert.False(string.IsNullOrEmpty(component.SwidTagId));
        Assert.Null(component.Cpe);
    }

    [Fact]
    public void Spdx2_checksum_algorithm_value_reference_category_and_purl_locator_are_checked()
    {
        var result = SbomReader.Read("""
            {"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0","documentNamespace":"https://example.com/x",
             "creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: t"]},
             "packages":[{"SPDXID":"SPDXRef-a","name":"a","downloadLocation":"NONE",
               "checksums":[{"algorithm":"SHA256","checksumValue":"abc1"},{"algorithm":"SHA-256","checksumValue":"zz"}],
               "externalRefs":[{"referenceCategory":"PACKAGE_MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/a@1"},
                               {"referenceCategory":"PACKAGES","referenceType":"purl","referenceLocator":"npm/a@1"}]}],
             "documentDescribes":["SPDXRef-a"]}
            """u8.ToArray());
        Assert.Equal(
            ["$.packages[0].checksums[1].algorithm", "$.packages[0].checksums[1].checksumValue", "$.packages[0].externalRefs[1].referenceCategory", "$.packages[0].externalRefs[1].referenceLocator"],
            result.Findings.Select(f => f.Evidence!["path"]).Order(StringComparer.Ordinal));
        Assert.Equal("pkg:npm/a@1", Assert.Single(result.Document!.Components).Purl);
    }
}
