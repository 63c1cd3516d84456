using System.Text;
using Attest.Oci;
using Attest.Testing;

namespace Attest.Cli.Tests;

[CollectionDefinition(Name)]
public sealed class CliRegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "cli-registry";
}

[Collection(CliRegistryCollection.Name)]
public sealed class PolicyTestCommandTests(RegistryFixture registry)
{
    private async Task<string> PushAsync(string repository)
    {
        using var client = new RegistryClient(new RegistryClientOptions { InsecureRegistries = new HashSet<string> { registry.Host } });
        var config = Encoding.UTF8.GetBytes($$"""{"created":"{{Guid.NewGuid()}}"}""");
        var configDigest = await client.PushBlobAsync(registry.Host, repository, config);
        var manifest = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}","config":{"mediaType":"{{OciMediaTypes.ImageConfig}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[]} """);
        return (await client.PushManifestAsync(registry.Host, repository, "v1", manifest, OciMediaTypes.ImageManifest)).ToString();
    }

    private TempDirectory Policies()
    {
        var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("p.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: production}
            spec:
              match: {images: ["{{registry.Host}}/prod/**"]}
              signatures:
                authorities: [{name: ci, keyless: {identities: [{issuer: "https://issuer.example", subject: "ci@example.com"}]} }]
            """);
        return directory;
    }

    [Fact]
    public async Task Unsigned_image_is_explained_as_denied_with_exit_1()
    {
        var digest = await PushAsync("prod/app");
        using var policies = Policies();
        var result = await CliRunner.RunAsync(policies.Path, "policy", "test", "--policy", policies.Path,
            "--image", $"{registry.Host}/prod/app:v1", "--insecure-registry", registry.Host);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{registry.Host}/prod/app:v1 resolves to {digest}", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("policy 'production' (enforce): fail", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("[signature.none] the image is not signed", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("verdict: deny", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Image_outside_every_policy_is_denied_as_uncovered()
    {
        var digest = await PushAsync("other/app");
        using var policies = Policies();
        var result = await CliRunner.RunAsync(policies.Path, "policy", "test", "--policy", policies.Path,
            "--image", $"{registry.Host}/other/app@{digest}", "--insecure-registry", registry.Host);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[policy.none]", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_http_registry_without_insecure_registry_names_the_cause_and_the_option()
    {
        await PushAsync("plain/app");
        using var policies = Policies();
        var result = await CliRunner.RunAsync(policies.Path, "policy", "test", "--policy", policies.Path, "--image", $"{registry.Host}/plain/app:v1");
        var output = result.StandardOutput + result.StandardError;
        Assert.NotEqual(0, result.ExitCode);
        // The TLS handshake's own cause, not just "see inner exception", and the option and settings that fix it.
        Assert.DoesNotContain("see inner exception", output, StringComparison.Ordinal);
        Assert.Contains($"registry {registry.Host} is unreachable over HTTPS (The SSL connection could not be established: ", output, StringComparison.Ordinal);
        Assert.Contains("CLI: --insecure-registry", output, StringComparison.Ordinal);
        Assert.Contains("Attest:Registries:Insecure", output, StringComparison.Ordinal);
        Assert.Contains("Attest:Registries:CaFile", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unusable_input_exits_2()
    {
        using var policies = Policies();
        var badImage = await CliRunner.RunAsync(policies.Path, "policy", "test", "--policy", policies.Path, "--image", "UPPER/Case");
        Assert.Equal(2, badImage.ExitCode);
        Assert.Contains("invalid repository", badImage.StandardError, StringComparison.Ordinal);

        var badDirectory = await CliRunner.RunAsync(policies.Path, "policy", "test", "--policy", policies.Combine("none"), "--image", "nginx");
        Assert.Equal(2, badDirectory.ExitCode);
    }
}
