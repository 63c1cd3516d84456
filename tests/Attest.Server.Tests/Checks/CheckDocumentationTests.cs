using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Attest.Core;
using Attest.Testing;

namespace Attest.Server.Tests.Checks;

/// <summary>The example of policies/README.md "Requiring Attest's check attestations" is a policy that admits an
/// image with both check attestations and refuses it with only one.</summary>
[Collection(CheckCollection.Name)]
public sealed partial class CheckDocumentationTests(CheckServerFixture fixture)
{
    [Fact]
    public async Task Readme_policy_requires_both_check_attestations()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Policies, "README.md"));
        var section = readme[readme.IndexOf("## Requiring Attest's check attestations", StringComparison.Ordinal)..];
        var example = YamlBlock().Match(section).Groups[1].Value;
        Assert.Contains("kind: ImagePolicy", example, StringComparison.Ordinal);

        var digest = "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var goSum = await fixture.PostAsync("v1/gosum/verify", GoSumVerifyTests.Form(digest, GoSumVerifyTests.ModuleZip()));
        Assert.Equal("passed", goSum.Body.RootElement.GetProperty("verdict").GetString());
        var sbom = await fixture.PostAsync("v1/sbom/evaluate", new MultipartFormDataContent()
            .AddFile("sbom", File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "tests", "vectors", "sbom", "ntia", "no_elements_missing.spdx.json")))
            .Add("subjectName", "registry.example.com/prod/app").Add("subjectDigest", digest).Add("policy", "ntia"));
        Assert.Equal("passed", sbom.Body.RootElement.GetProperty("verdict").GetString());

        using var directory = new TempDirectory("attest-check-readme");
        var files = await CheckAttestations.SaveAsync(fixture, goSum.Body.RootElement.GetProperty("attestation").GetProperty("bundle"), directory.Path);
        File.Move(files.TrustedRoot, Path.Combine(directory.Path, "attest-trusted-root.json"));
        var goSumBundle = files.Bundle;
        var sbomBundle = Path.Combine(directory.Path, "sbom.sigstore.json");
        await File.WriteAllTextAsync(sbomBundle, sbom.Body.RootElement.GetProperty("attestation").GetProperty("bundle").GetRawText());
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "policy.yaml"), example);

        var both = CheckAttestations.Evaluate(directory.Path, [goSumBundle, sbomBundle], Digest.Parse(digest));
        Assert.True(both.Passed, CheckAttestations.Reasons(both));
        var goSumOnly = CheckAttestations.Evaluate(directory.Path, [goSumBundle], Digest.Parse(digest));
        Assert.False(goSumOnly.Passed);
        var missing = Assert.Single(goSumOnly.Reasons);
        Assert.Equal("attestation.missing", missing.Code);
        Assert.Contains("sbom-checked", missing.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"```yaml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();
}
