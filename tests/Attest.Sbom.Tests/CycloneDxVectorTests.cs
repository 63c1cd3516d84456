using Attest.Sbom.Reading;
using Attest.Testing;

namespace Attest.Sbom.Tests;

/// <summary>The CycloneDX specification's own labelled files (tests/vectors/sbom/cdx, from CycloneDX/specification
/// tools/src/test/resources): valid-* must read without schema violations, invalid-* must be rejected.</summary>
public sealed class CycloneDxVectorTests
{
    public static TheoryData<string, string> Vectors()
    {
        var data = new TheoryData<string, string>();
        foreach (var version in new[] { "1.4", "1.5", "1.6" })
            foreach (var file in Directory.GetFiles(RepositoryPaths.Vectors("sbom", "cdx", version), "*.json").Order(StringComparer.Ordinal))
                data.Add(version, Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Labelled_vector_is_classified_as_its_name_says(string version, string file)
    {
        var result = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", "cdx", version, file));
        var problems = string.Join("\n", result.Findings.Select(f => f.ToString()));
        if (file.StartsWith("valid-", StringComparison.Ordinal))
        {
            Assert.True(result.IsUsable, problems);
            Assert.True(result.Findings.Count == 0, $"{file} is labelled valid but was reported:\n{problems}");
        }
        else
        {
            Assert.StartsWith("invalid-", file, StringComparison.Ordinal);
            Assert.True(result.Findings.Count > 0, $"{file} is labelled invalid but no violation was found");
        }
    }

    [Fact]
    public void Every_labelled_version_directory_has_both_valid_and_invalid_vectors()
    {
        var vectors = Vectors().Select(row => (string)row[1]).ToList();
        Assert.Equal(179, vectors.Count);
        Assert.Contains(vectors, v => v.StartsWith("valid-", StringComparison.Ordinal));
        Assert.Contains(vectors, v => v.StartsWith("invalid-", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("1.6", "invalid-hash-md5-1.6.json", "$.components[0].hashes[0].content")]
    [InlineData("1.6", "invalid-license-id-1.6.json", "$.components[0].licenses[0].license.id")]
    [InlineData("1.6", "invalid-serialnumber-1.6.json", "$.serialNumber")]
    [InlineData("1.6", "invalid-dependency-1.6.json", "$.dependencies[0]")]
    [InlineData("1.6", "invalid-license-declared-concluded-mix-1.6.json", "$.components[0].licenses")]
    [InlineData("1.4", "invalid-metadata-timestamp-1.4.json", "$.metadata.timestamp")]
    public void Violation_names_the_json_path_of_the_offending_value(string version, string file, string path)
    {
        var result = SbomReader.ReadFile(RepositoryPaths.Vectors("sbom", "cdx", version, file));
        Assert.Contains(result.Findings, f => f.Code == SbomCodes.SchemaViolation && f.Evidence!["path"] == path);
    }
}
