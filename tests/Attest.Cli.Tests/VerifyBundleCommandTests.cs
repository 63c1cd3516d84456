using Attest.Testing;

namespace Attest.Cli.Tests;

/// <summary><c>attest verify-bundle</c> as the sigstore-conformance harness calls it: exit code decides, reasons on stderr.</summary>
public sealed class VerifyBundleCommandTests
{
    private const string Identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    private const string Issuer = "https://token.actions.githubusercontent.com";

    private static string Case(string name, string file) => RepositoryPaths.Vectors("sigstore", "conformance", name, file);

    private static string Artifact => RepositoryPaths.Vectors("sigstore", "conformance", "a.txt");

    [Fact]
    public async Task Verifies_a_happy_path_bundle_with_the_embedded_root_by_file_and_by_digest()
    {
        var file = await CliRunner.RunAsync(RepositoryPaths.Root, "verify-bundle", "--bundle", Case("happy-path-v0.3", "bundle.sigstore.json"),
            "--certificate-identity", Identity, "--certificate-oidc-issuer", Issuer, Artifact);
        Assert.True(file.ExitCode == 0, file.StandardError);
        var digest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Artifact)));
        var byDigest = await CliRunner.RunAsync(RepositoryPaths.Root, "verify-bundle", "--bundle", Case("happy-path-v0.3", "bundle.sigstore.json"),
            "--certificate-identity", Identity, "--certificate-oidc-issuer", Issuer, digest);
        Assert.True(byDigest.ExitCode == 0, byDigest.StandardError);
    }

    [Fact]
    public async Task Rejects_with_exit_1_and_the_reason_code_on_stderr()
    {
        var result = await CliRunner.RunAsync(RepositoryPaths.Root, "verify-bundle", "--bundle", Case("happy-path-v0.3", "bundle.sigstore.json"),
            "--certificate-identity", "someone@example.com", "--certificate-oidc-issuer", Issuer, Artifact);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("identity.san-mismatch", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_carries_the_code_and_message()
    {
        var result = await CliRunner.RunAsync(RepositoryPaths.Root, "verify-bundle", "--json", "--bundle", Case("managed-key-no-key_fail", "bundle.sigstore.json"),
            "--certificate-identity", Identity, "--certificate-oidc-issuer", Issuer, Artifact);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("\"Verified\":false", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"Code\":\"key.required\"", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verifies_with_a_managed_key_and_a_custom_trusted_root()
    {
        var result = await CliRunner.RunAsync(RepositoryPaths.Root, "verify-bundle", "--bundle", Case("managed-key-and-trusted-root", "bundle.sigstore.json"),
            "--key", Case("managed-key-and-trusted-root", "key.pub"), "--trusted-root", Case("managed-key-and-trusted-root", "trusted_root.json"), Artifact);
        Assert.True(result.ExitCode == 0, result.StandardError);
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("no-such-file.txt")]
    public async Task An_artifact_that_is_neither_file_nor_digest_is_unusable_input(string artifact)
    {
        using var directory = new TempDirectory();
        var result = await CliRunner.RunAsync(directory.Path, "verify-bundle", "--bundle", Case("happy-path-v0.3", "bundle.sigstore.json"),
            "--certificate-identity", Identity, "--certificate-oidc-issuer", Issuer, artifact);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("attest: ", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identity_and_key_together_are_refused()
    {
        var result = await CliRunner.RunAsync(RepositoryPaths.Root, "verify-bundle", "--bundle", Case("managed-key-happy-path", "bundle.sigstore.json"),
            "--key", Case("managed-key-happy-path", "key.pub"), "--certificate-identity", Identity, "--certificate-oidc-issuer", Issuer, Artifact);
        Assert.NotEqual(0, result.ExitCode);
    }
}
