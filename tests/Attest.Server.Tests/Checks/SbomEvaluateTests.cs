using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Sbom;
using Attest.Testing;

namespace Attest.Server.Tests.Checks;

/// <summary><c>POST /v1/sbom/evaluate</c> on a real server, with the SBOM vectors of tests/vectors/sbom.</summary>
[Collection(CheckCollection.Name)]
public sealed class SbomEvaluateTests(CheckServerFixture fixture)
{
    private static byte[] Vector(string path) => File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "tests", "vectors", "sbom", path));

    private static string NewDigest() => "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static MultipartFormDataContent Form(byte[] sbom, string digest, string? policy)
    {
        var form = new MultipartFormDataContent()
            .AddFile("sbom", sbom, "sbom.json")
            .Add("subjectName", "registry.example.com/app")
            .Add("subjectDigest", digest);
        if (policy is not null) form.Add("policy", policy);
        return form;
    }

    [Fact]
    public async Task Conforming_sbom_passes_and_its_attestation_verifies_and_satisfies_an_image_policy()
    {
        var (artifact, digest) = CheckAttestations.NewArtifact();
        var sbom = Vector("ntia/no_elements_missing.spdx.json");
        var (status, body) = await fixture.PostAsync("v1/sbom/evaluate", Form(sbom, digest, "ntia"));
        var root = body.RootElement;
        Assert.True(status == 200, root.ToString());
        Assert.Equal("passed", root.GetProperty("verdict").GetString());
        Assert.Equal("Spdx2", root.GetProperty("format").GetString());
        Assert.Equal("SPDX-2.3", root.GetProperty("specVersion").GetString());
        Assert.Equal(1, root.GetProperty("components").GetInt32());
        Assert.Empty(root.GetProperty("findings").EnumerateArray());
        var sbomDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(sbom));
        Assert.Equal(sbomDigest, root.GetProperty("sbomDigest").GetString());

        var bundle = root.GetProperty("attestation").GetProperty("bundle");
        using (var statement = CheckAttestations.Statement(bundle))
        {
            Assert.Equal(CheckAttestations.SbomType, statement.RootElement.GetProperty("predicateType").GetString());
            var predicate = statement.RootElement.GetProperty("predicate");
            Assert.Equal("passed", predicate.GetProperty("verdict").GetString());
            Assert.Equal("Spdx2", predicate.GetProperty("format").GetString());
            Assert.Equal(1, predicate.GetProperty("components").GetInt32());
            Assert.Equal("ntia", predicate.GetProperty("policy").GetString());
            Assert.Equal(sbomDigest, predicate.GetProperty("sbomDigest").GetString());
        }

        using var directory = new TempDirectory("attest-sbom-attestation");
        var files = await CheckAttestations.SaveAsync(fixture, bundle, directory.Path);
        var verified = await CheckAttestations.VerifyBundleAsync(directory.Path, files, digest);
        Assert.True(verified.ExitCode == 0, verified.StandardOutput + verified.StandardError);
        await CheckAttestations.AssertSigstoreJsVerifiesAsync(directory.Path, files, artifact);

        var admitted = CheckAttestations.Evaluate(directory.Path, CheckAttestations.SbomType, "passed", files.Bundle, Digest.Parse(digest));
        Assert.True(admitted.Passed, CheckAttestations.Reasons(admitted));
        // A policy requiring the go.sum attestation is not satisfied by the SBOM one.
        var otherType = CheckAttestations.Evaluate(directory.Path, CheckAttestations.GoSumType, "passed", files.Bundle, Digest.Parse(digest));
        Assert.False(otherType.Passed);
        Assert.Contains(otherType.Reasons, r => r.Code == "attestation.missing");
    }

    [Theory]
    [InlineData("ntia/missing_supplier_name.spdx.json", "ntia", SbomCodes.NtiaSupplier)]
    [InlineData("spdx3/spdx-examples__software_example11_spdx3.0_sbom.spdx3.json", "ntia", SbomCodes.NtiaDependency)]
    [InlineData("generated/cdx-npm-1.6.json", "no-cc-by", SbomCodes.LicenseDenied)]
    public async Task Sbom_breaking_the_policy_fails_without_attestation_and_is_logged(string vector, string policy, string code)
    {
        var digest = NewDigest();
        var (status, body) = await fixture.PostAsync("v1/sbom/evaluate", Form(Vector(vector), digest, policy));
        var root = body.RootElement;
        Assert.True(status == 200, root.ToString());
        Assert.Equal("failed", root.GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("attestation").ValueKind);
        Assert.Contains(root.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == code);

        var entries = await CheckAttestations.LedgerEntriesAsync(fixture, "sbom.evaluation");
        var entry = Assert.Single(entries, e => e.RootElement.GetProperty("digest").GetString() == digest).RootElement;
        Assert.Equal("failed", entry.GetProperty("verdict").GetString());
        Assert.Equal(policy, entry.GetProperty("details").GetProperty("policy").GetString());
        Assert.Contains(entry.GetProperty("details").GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == code);
    }

    [Fact]
    public async Task Without_a_policy_name_every_sbom_policy_applies()
    {
        var (_, passing) = await fixture.PostAsync("v1/sbom/evaluate", Form(Vector("ntia/no_elements_missing.spdx.json"), NewDigest(), null));
        Assert.Equal("passed", passing.RootElement.GetProperty("verdict").GetString());
        var (_, failing) = await fixture.PostAsync("v1/sbom/evaluate", Form(Vector("generated/cdx-npm-1.6.json"), NewDigest(), null));
        var codes = failing.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("code").GetString()).ToList();
        Assert.Contains(SbomCodes.LicenseDenied, codes);
        Assert.Contains(SbomCodes.NtiaSupplier, codes);
        var denied = failing.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("code").GetString() == SbomCodes.LicenseDenied);
        Assert.Equal("spdx-exceptions@2.5.0", denied.GetProperty("module").GetString());
    }

    [Fact]
    public async Task Subject_binding_when_required_fails_an_sbom_that_does_not_describe_the_subject()
    {
        var form = Form(Vector("ntia/no_elements_missing.spdx.json"), NewDigest(), "ntia").Add("requireSubjectBinding", "true");
        var (status, body) = await fixture.PostAsync("v1/sbom/evaluate", form);
        Assert.Equal(200, status);
        Assert.Equal("failed", body.RootElement.GetProperty("verdict").GetString());
        Assert.True(body.RootElement.GetProperty("subjectBound").GetBoolean());
        Assert.Contains(body.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == SbomCodes.SubjectMismatch);

        var (bad, badBody) = await fixture.PostAsync("v1/sbom/evaluate", Form(Vector("ntia/no_elements_missing.spdx.json"), NewDigest(), "ntia").Add("requireSubjectBinding", "yes"));
        Assert.Equal(400, bad);
        Assert.Contains("requireSubjectBinding must be true or false", badBody.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"spdxVersion\": \"SPDX-2.3\",", SbomCodes.InputInvalidJson)]
    [InlineData("{\"hello\": \"world\"}", SbomCodes.FormatUnknown)]
    [InlineData("{\"a\":1,\"a\":2}", SbomCodes.InputDuplicateKey)]
    public async Task Unreadable_sbom_is_a_bad_request_naming_the_reason(string document, string code)
    {
        var (status, body) = await fixture.PostAsync("v1/sbom/evaluate", Form(Encoding.UTF8.GetBytes(document), NewDigest(), null));
        Assert.Equal(400, status);
        Assert.Contains($"[{code}]", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_deeply_nested_sbom_is_a_bad_request()
    {
        var deep = "{\"bomFormat\":\"CycloneDX\",\"x\":" + new string('[', 200) + new string(']', 200) + "}";
        var (status, body) = await fixture.PostAsync("v1/sbom/evaluate", Form(Encoding.UTF8.GetBytes(deep), NewDigest(), null));
        Assert.Equal(400, status);
        Assert.Contains($"[{SbomCodes.InputTooDeep}]", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sbom_over_the_limit_is_refused_with_413()
    {
        var (status, body) = await fixture.PostExpectingContinueAsync("v1/sbom/evaluate", Form(new byte[(32 << 20) + 1], NewDigest(), null));
        Assert.Equal(413, status);
        Assert.Equal("request too large", body.RootElement.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Missing_sbom_and_unknown_policy_are_bad_requests()
    {
        var (missing, missingBody) = await fixture.PostAsync("v1/sbom/evaluate", new MultipartFormDataContent().Add("subjectDigest", NewDigest()));
        Assert.Equal(400, missing);
        Assert.Contains("'sbom' is missing", missingBody.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (unknown, unknownBody) = await fixture.PostAsync("v1/sbom/evaluate", Form(Vector("ntia/no_elements_missing.spdx.json"), NewDigest(), "go-modules"));
        Assert.Equal(400, unknown);
        Assert.Contains("no SbomPolicy named 'go-modules'", unknownBody.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
