using System.Text;
using Attest.Sbom.Reading;

namespace Attest.Sbom.Tests.Reading;

public sealed class ReferenceIntegrityTests
{
    [Fact]
    public void CycloneDx_dependency_on_an_unknown_bom_ref_is_a_violation_at_its_path()
    {
        var result = SbomReader.Read(Encoding.UTF8.GetBytes("""
            {"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
             "components":[{"type":"library","name":"a","bom-ref":"a"}],
             "services":[{"name":"s","bom-ref":"svc"}],
             "dependencies":[{"ref":"a","dependsOn":["svc","ghost"]},{"ref":"phantom"}]}
            """));
        Assert.Equal(["$.dependencies[0].dependsOn[1]", "$.dependencies[1].ref"], result.Findings.Select(f => f.Evidence!["path"]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Spdx_relationship_to_an_unknown_element_is_a_violation_but_external_documents_resolve()
    {
        var result = SbomReader.Read(Encoding.UTF8.GetBytes("""
            {"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0","documentNamespace":"https://example.com/x",
             "creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: t"]},
             "externalDocumentRefs":[{"externalDocumentId":"DocumentRef-other","spdxDocument":"https://example.com/o","checksum":{"algorithm":"SHA1","checksumValue":"da39a3ee5e6b4b0d3255bfef95601890afd80709"}}],
             "packages":[{"SPDXID":"SPDXRef-a","name":"a","downloadLocation":"NONE"}],
             "documentDescribes":["SPDXRef-a"],
             "relationships":[{"spdxElementId":"SPDXRef-a","relationshipType":"DEPENDS_ON","relatedSpdxElement":"DocumentRef-other:SPDXRef-b"},
                              {"spdxElementId":"SPDXRef-a","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-missing"},
                              {"spdxElementId":"SPDXRef-a","relationshipType":"DEPENDS_ON","relatedSpdxElement":"NOASSERTION"}]}
            """));
        Assert.True(result.IsUsable);
        Assert.Equal("$.relationships[1].relatedSpdxElement", Assert.Single(result.Findings).Evidence!["path"]);
    }
}
