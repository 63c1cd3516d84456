using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Attest.Testing;

namespace Attest.Policy.Tests;

/// <summary>The examples in policies/README.md are policies that load.</summary>
public sealed partial class DocumentationTests
{
    [Fact]
    public void ImagePolicy_example_of_the_readme_loads()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Policies, "README.md"));
        var section = readme[readme.IndexOf("## ImagePolicy", StringComparison.Ordinal)..];
        var example = YamlBlock().Match(section).Groups[1].Value;
        Assert.Contains("kind: ImagePolicy", example, StringComparison.Ordinal);

        using var directory = new TempDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(directory.Combine("keys"));
        File.WriteAllText(directory.Combine("keys", "release.pub"), key.ExportSubjectPublicKeyInfoPem());
        File.WriteAllText(directory.Combine("example.yaml"), example);

        var (set, errors) = PolicyDirectoryLoader.Load(directory.Path);
        Assert.True(errors.Count == 0, string.Join(" | ", errors));
        var policy = Assert.Single(set!.ImagePolicies);
        Assert.Equal(2, policy.Signatures!.Threshold);
        Assert.Equal(2, policy.Attestations.Count);
    }

    [GeneratedRegex(@"```yaml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();
}
