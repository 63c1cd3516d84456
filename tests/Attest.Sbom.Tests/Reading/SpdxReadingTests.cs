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
}
