using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Sbom.Checks;
using Attest.Sbom.Model;
using Attest.Sbom.Reading;
using Attest.Testing;

namespace Attest.Sbom.Tests.Reading;

/// <summary>The forms SBOMs arrive in as attestations (sbom-and-ledger.md A.7): in-toto statements with SPDX or
/// CycloneDX predicates, cosign's raw-string <c>spdx</c> predicate, versioned predicate URIs, the cosign 1.x
/// <c>{Data, Timestamp}</c> wrapper, and a DSSE envelope around the statement.</summary>
public sealed class AttestationFormTests
{
    private const string ImageDigest = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";
    private static readonly string Spdx = File.ReadAllText(RepositoryPaths.Vectors("sbom", "spdx23", "spdx-examples__presentations_OSS-NA-2023_SPDXVersion2.3_01-MinimalSBOM.json"));
    private static readonly string CycloneDx = File.ReadAllText(RepositoryPaths.Vectors("sbom", "generated", "cdx-npm-1.6.json"));

    private static string Statement(string predicateType, JsonNode? predicate) => new JsonObject
    {
        ["_type"] = "https://in-toto.io/Statement/v1",
        ["subject"] = new JsonArray(new JsonObject { ["name"] = "registry.example.com/app", ["digest"] = new JsonObject { ["sha256"] = ImageDigest["sha256:".Length..] } }),
        ["predicateType"] = predicateType,
        ["predicate"] = predicate,
    }.ToJsonString();

    private static SbomReadResult Read(string json) => SbomReader.Read(Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("SPDX JSON predicate", "https://spdx.dev/Document", "spdx", "object", SbomFormat.Spdx2)]
    [InlineData("cosign --type spdx: the SBOM as a JSON string", "https://spdx.dev/Document", "spdx", "string", SbomFormat.Spdx2)]
    [InlineData("versioned SPDX predicate URI", "https://spdx.dev/Document/v2.3", "spdx", "object", SbomFormat.Spdx2)]
    [InlineData("CycloneDX predicate", "https://cyclonedx.org/bom", "cdx", "object", SbomFormat.CycloneDx)]
    [InlineData("versioned CycloneDX predicate URI", "https://cyclonedx.org/bom/v1.6", "cdx", "object", SbomFormat.CycloneDx)]
    [InlineData("cosign 1.x wrapper with the legacy CycloneDX type", "https://cyclonedx.org/schema", "cdx", "data-wrapper", SbomFormat.CycloneDx)]
    [InlineData("cosign 1.x wrapper around an SPDX string", "https://spdx.dev/Document", "spdx", "data-wrapper-string", SbomFormat.Spdx2)]
    public void Statement_predicate_is_unwrapped(string description, string predicateType, string content, string shape, SbomFormat format)
    {
        var sbom = content == "spdx" ? Spdx : CycloneDx;
        JsonNode? predicate = shape switch
        {
            "object" => JsonNode.Parse(sbom),
            "string" => JsonValue.Create(sbom),
            "data-wrapper" => new JsonObject { ["Data"] = JsonNode.Parse(sbom), ["Timestamp"] = "2022-01-01T00:00:00Z" },
            _ => new JsonObject { ["Data"] = JsonValue.Create(sbom), ["Timestamp"] = "" },
        };
        var result = Read(Statement(predicateType, predicate));
        Assert.True(result.IsUsable, description + ": " + string.Join("\n", result.Findings));
        Assert.Empty(result.Findings);
        Assert.Equal(format, result.Document!.Format);
        Assert.Equal(predicateType, result.Attestation!.PredicateType);
        Assert.Equal(ImageDigest["sha256:".Length..], Assert.Single(result.Attestation.Subjects).Digests["sha256"]);
        // The unwrapped document is the same as reading the SBOM directly.
        Assert.Equal(Read(sbom).Document!.Components.Select(c => c.DisplayName), result.Document.Components.Select(c => c.DisplayName));
    }

    [Fact]
    public void Dsse_envelope_around_a_statement_is_unwrapped()
    {
        var statement = Statement("https://cyclonedx.org/bom", JsonNode.Parse(CycloneDx));
        var envelope = new JsonObject
        {
            ["payloadType"] = "application/vnd.in-toto+json",
            ["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(statement)),
            ["signatures"] = new JsonArray(new JsonObject { ["sig"] = "AAAA" }),
        }.ToJsonString();
        var result = Read(envelope);
        Assert.True(result.IsUsable);
        Assert.Equal(["dsse", "in-toto"], result.Attestation!.Envelopes);
        Assert.Equal(SbomFormat.CycloneDx, result.Document!.Format);
    }

    [Fact]
    public void Non_sbom_predicate_is_unusable()
    {
        var result = Read(Statement("https://slsa.dev/provenance/v1", new JsonObject()));
        Assert.Equal(SbomCodes.AttestationUnsupportedPredicate, Assert.Single(result.Findings).Code);
    }

    [Fact]
    public void Predicate_whose_content_contradicts_its_type_is_unusable()
    {
        var result = Read(Statement("https://spdx.dev/Document", JsonNode.Parse(CycloneDx)));
        Assert.Equal(SbomCodes.AttestationMalformed, Assert.Single(result.Findings).Code);
    }

    [Fact]
    public void Statement_subject_binds_the_sbom_to_the_image_digest()
    {
        var result = Read(Statement("https://cyclonedx.org/bom", JsonNode.Parse(CycloneDx)));
        var checker = new SbomChecker(TimeProvider.System);
        Assert.Empty(checker.Check(result, new SbomPolicy(), Digest.Parse(ImageDigest)));

        var other = Digest.Parse("sha256:" + new string('0', 64));
        var finding = Assert.Single(checker.Check(result, new SbomPolicy(), other));
        Assert.Equal(SbomCodes.SubjectMismatch, finding.Code);
        Assert.Equal(other.ToString(), finding.Evidence!["expected"]);
        Assert.Equal(ImageDigest, finding.Evidence["found"]);
    }
}
