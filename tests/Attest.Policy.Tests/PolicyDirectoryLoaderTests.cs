using Attest.Testing;

namespace Attest.Policy.Tests;

public sealed class PolicyDirectoryLoaderTests
{
    private const string Valid = """
        apiVersion: attest.dev/v1
        kind: ImagePolicy
        metadata:
          name: prod
        spec:
          match: {images: ["registry.example.com/**"]}
          signatures: {authorities: [{name: ci, keyless: {identities: [{issuer: "https://issuer.example", subject: "ci@example.com"}]}}]}

        """;

    [Fact]
    public void Loads_the_repository_example_policies()
    {
        var (set, errors) = PolicyDirectoryLoader.Load(RepositoryPaths.Policies);
        Assert.Empty(errors);
        Assert.NotNull(set);
        Assert.Contains(set.Documents, d => d.Kind == "ImagePolicy");
        Assert.Matches("^sha256:[0-9a-f]{64}$", set.Revision);
    }

    [Fact]
    public void Revision_is_stable_for_the_same_files_and_changes_with_any_byte()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("p.yaml"), Valid);
        var first = PolicyDirectoryLoader.Load(directory.Path).Set!.Revision;
        Assert.Equal(first, PolicyDirectoryLoader.Load(directory.Path).Set!.Revision);
        File.WriteAllText(directory.Combine("p.yaml"), Valid + "# comment\n");
        Assert.NotEqual(first, PolicyDirectoryLoader.Load(directory.Path).Set!.Revision);
    }

    [Fact]
    public void Several_documents_in_one_file_are_read_and_non_yaml_files_ignored()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("p.yaml"), Valid + "---\napiVersion: attest.dev/v1\nkind: GoSumPolicy\nmetadata: {name: go}\nspec: {}\n---\n");
        File.WriteAllText(directory.Combine("README.md"), "# not a policy: {");
        var (set, errors) = PolicyDirectoryLoader.Load(directory.Path);
        Assert.Empty(errors);
        Assert.Equal(["ImagePolicy/prod", "GoSumPolicy/go"], set!.Documents.Select(d => $"{d.Kind}/{d.Name}"));
        Assert.Equal(new SourceLocation("p.yaml", 9, 1), set.Documents[1].Source);
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "unknown top-level field", Valid + "spce: {}\n", "p.yaml:8:1: unknown field 'spce'" },
        { "wrong apiVersion", Valid.Replace("attest.dev/v1", "v1", StringComparison.Ordinal), "p.yaml:1:13: unsupported apiVersion 'v1'" },
        { "unknown kind", Valid.Replace("ImagePolicy", "ImagePolcy", StringComparison.Ordinal), "p.yaml:2:7: unknown kind 'ImagePolcy'" },
        { "missing name", "apiVersion: attest.dev/v1\nkind: ImagePolicy\nmetadata: {}\nspec: {}\n", "p.yaml:3:11: missing metadata.name" },
        { "missing spec", "apiVersion: attest.dev/v1\nkind: ImagePolicy\nmetadata: {name: a}\n", "p.yaml:1:1: missing spec" },
        { "not a mapping", "- a\n- b\n", "p.yaml:1:1: a policy document must be a mapping" },
        { "YAML syntax", "apiVersion: [unclosed\n", "p.yaml:2:1: invalid YAML" },
        { "alias", "a: &x [1, 2]\nb: *x\n", "p.yaml:2:4: YAML aliases" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_policy_is_reported_with_file_line_and_column(string description, string content, string expected)
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("p.yaml"), content);
        var (set, errors) = PolicyDirectoryLoader.Load(directory.Path);
        Assert.Null(set);
        Assert.True(errors.Any(e => e.ToString().StartsWith(expected, StringComparison.Ordinal)),
            $"{description}: expected '{expected}' in [{string.Join(" | ", errors)}]");
    }

    [Fact]
    public void Duplicate_policy_names_are_reported_with_both_places()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("a.yaml"), Valid);
        File.WriteAllText(directory.Combine("b.yaml"), Valid);
        var (_, errors) = PolicyDirectoryLoader.Load(directory.Path);
        var error = Assert.Single(errors);
        Assert.Equal("b.yaml:1:1: ImagePolicy 'prod' is already defined at a.yaml:1:1", error.ToString());
    }

    [Fact]
    public void Invalid_utf8_and_oversized_files_are_rejected()
    {
        using var directory = new TempDirectory();
        File.WriteAllBytes(directory.Combine("bad.yaml"), [0x61, 0x3a, 0x20, 0xff, 0xfe]);
        File.WriteAllText(directory.Combine("huge.yaml"), new string('#', (int)PolicyLimits.MaxFileBytes + 1));
        var (_, errors) = PolicyDirectoryLoader.Load(directory.Path);
        Assert.Contains(errors, e => e.ToString() == "bad.yaml:1:1: file is not valid UTF-8");
        Assert.Contains(errors, e => e.ToString().StartsWith("huge.yaml:1:1: file is", StringComparison.Ordinal));
    }

    /// <summary>Inputs on which YamlDotNet throws a general exception instead of a YamlException (found by fuzzing;
    /// tests/fuzz/regressions/policy).</summary>
    [Theory]
    [InlineData("yamldotnet-invalid-operation-in-flow-sequence.yaml")]
    [InlineData("yamldotnet-unsupported-event.yaml")]
    public void Yaml_the_parser_library_fails_on_is_an_error_not_an_exception(string regression)
    {
        using var directory = new TempDirectory();
        File.Copy(Path.Combine(Attest.Testing.RepositoryPaths.Root, "tests", "fuzz", "regressions", "policy", regression), directory.Combine("p.yaml"));
        var (set, errors) = PolicyDirectoryLoader.Load(directory.Path);
        Assert.Null(set);
        Assert.Contains(errors, e => e.ToString().StartsWith("p.yaml:", StringComparison.Ordinal) && e.Message.Contains("invalid YAML", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_directory_and_file_in_its_place_throw_a_directory_error()
    {
        using var directory = new TempDirectory();
        Assert.Contains("does not exist", Assert.Throws<PolicyDirectoryException>(() => PolicyDirectoryLoader.Load(directory.Combine("none"))).Message, StringComparison.Ordinal);
        File.WriteAllText(directory.Combine("file"), "");
        Assert.Contains("is a file", Assert.Throws<PolicyDirectoryException>(() => PolicyDirectoryLoader.Load(directory.Combine("file"))).Message, StringComparison.Ordinal);
    }
}
