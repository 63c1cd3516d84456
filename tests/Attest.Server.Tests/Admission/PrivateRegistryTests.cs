using System.Text;
using Attest.Core;
using Attest.Oci;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Admission;

[CollectionDefinition(Name)]
public sealed class TokenRegistryCollection : ICollectionFixture<TokenAuthRegistryFixture>
{
    public const string Name = "server-token-registry";
}

/// <summary>A private registry behind Docker's bearer-token flow: the webhook signs in with credentials from a
/// docker config file (the format of an image pull secret), and without them fails closed with the cause.</summary>
[Collection(TokenRegistryCollection.Name)]
public sealed class PrivateRegistryTests(TokenAuthRegistryFixture registry)
{
    private async Task<Digest> PushAsync(string repository)
    {
        using var client = new RegistryClient(new RegistryClientOptions
        {
            InsecureRegistries = new HashSet<string> { registry.Host },
            Credentials = DockerConfigCredentials.ParseConfigJson(DockerConfig()),
        });
        var config = Encoding.UTF8.GetBytes($$"""{"created":"{{Guid.NewGuid()}}"}""");
        var configDigest = await client.PushBlobAsync(registry.Host, repository, config);
        var manifest = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}","config":{"mediaType":"{{OciMediaTypes.ImageConfig}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[]} """);
        return await client.PushManifestAsync(registry.Host, repository, "v1", manifest, OciMediaTypes.ImageManifest);
    }

    private byte[] DockerConfig() => Encoding.UTF8.GetBytes(
        $$"""{"auths":{"{{registry.Host}}":{"auth":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registry.Username}:{registry.Password}"))}}"} } }""");

    private async Task<ServerWorkspace> WorkspaceAsync()
    {
        var workspace = new ServerWorkspace(withPolicies: false);
        Directory.CreateDirectory(workspace.PolicyDirectory);
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        await File.WriteAllTextAsync(Path.Combine(workspace.PolicyDirectory, "k.pub"), key.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(workspace.PolicyDirectory, "p.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: private}
            spec:
              match: {images: ["{{registry.Host}}/**"]}
              signatures: {authorities: [{name: k, key: {file: k.pub} }]}
            """);
        return workspace;
    }

    [Fact]
    public async Task Webhook_signs_in_with_configured_credentials_and_pins_and_judges_the_image()
    {
        await PushAsync("private/app");
        using var workspace = await WorkspaceAsync();
        var configFile = workspace.Combine("docker-config.json");
        await File.WriteAllBytesAsync(configFile, DockerConfig());
        await using var server = await workspace.Start(
                $"--Attest:Registries:Insecure:0={registry.Host}", $"--Attest:Registries:DockerConfigFile={configFile}")
            .WaitUntilListeningAsync();

        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", $"{registry.Host}/private/app:v1");
        var (_, mutated) = await AdmissionRequests.PostAsync(server.Client, "admission/mutate", review);
        var patch = System.Text.Json.JsonDocument.Parse(Convert.FromBase64String(mutated.RootElement.GetProperty("response").GetProperty("patch").GetString()!));
        var pinned = patch.RootElement[0].GetProperty("value").GetString()!;

        var (_, validated) = await AdmissionRequests.PostAsync(server.Client, "admission/validate",
            AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", pinned));
        var message = validated.RootElement.GetProperty("response").GetProperty("status").GetProperty("message").GetString()!;
        // Reached the registry with a token: the image is judged on its signatures (it has none), not on access.
        Assert.Contains("[signature.none]", message, StringComparison.Ordinal);
        Assert.DoesNotContain(registry.Password, server.StandardOutput + server.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_credentials_the_webhook_denies_naming_the_authentication_failure()
    {
        var digest = await PushAsync("private/locked");
        using var workspace = await WorkspaceAsync();
        await using var server = await workspace.Start($"--Attest:Registries:Insecure:0={registry.Host}").WaitUntilListeningAsync();
        var (_, validated) = await AdmissionRequests.PostAsync(server.Client, "admission/validate",
            AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", $"{registry.Host}/private/locked@{digest}"));
        var response = validated.RootElement.GetProperty("response");
        Assert.False(response.GetProperty("allowed").GetBoolean());
        Assert.Contains("[registry.auth.denied]", response.GetProperty("status").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_comma_separated_registry_allowlist_is_enforced()
    {
        // The form a Helm value or an environment variable gives; bound as items only, it would mean "any registry".
        var digest = await PushAsync("private/listed");
        using var workspace = await WorkspaceAsync();
        var image = $"{registry.Host}/private/listed@{digest}";
        await using (var elsewhere = await workspace.Start(
            $"--Attest:Registries:Insecure:0={registry.Host}", "--Attest:Registries:Allowed=ghcr.io, *.example.com").WaitUntilListeningAsync())
        {
            Assert.Contains("[registry.not-allowed]", await DenialAsync(elsewhere, image), StringComparison.Ordinal);
        }
        // The list applies to every hop: the registry alone is not enough when its token service lives elsewhere.
        await using (var registryOnly = await workspace.Start(
            $"--Attest:Registries:Insecure={registry.Host}", $"--Attest:Registries:Allowed=ghcr.io,{registry.Host}").WaitUntilListeningAsync())
        {
            var denial = await DenialAsync(registryOnly, image);
            Assert.Contains("[registry.not-allowed]", denial, StringComparison.Ordinal);
            Assert.Contains(registry.RealmUri.Authority, denial, StringComparison.Ordinal);
        }
        await using var listed = await workspace.Start(
            $"--Attest:Registries:Insecure={registry.Host}", $"--Attest:Registries:Allowed=ghcr.io,{registry.Host},{registry.RealmUri.Authority}").WaitUntilListeningAsync();
        // Reached the registry and its token service (the comma form of Insecure worked too): refused for lack of
        // credentials, not by the allowlist.
        Assert.Contains("[registry.auth.denied]", await DenialAsync(listed, image), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_allowlist_that_names_no_registry_stops_startup()
    {
        using var workspace = await WorkspaceAsync();
        await using var server = workspace.Start("--Attest:Registries:Allowed= , ");
        var exitCode = await server.WaitForExitAsync();
        Assert.NotEqual(0, exitCode);
        Assert.Contains("Attest:Registries:Allowed is set but names no registry", server.StandardError, StringComparison.Ordinal);
    }

    private static async Task<string> DenialAsync(ServerProcess server, string image)
    {
        var (_, validated) = await AdmissionRequests.PostAsync(server.Client, "admission/validate",
            AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", image));
        var response = validated.RootElement.GetProperty("response");
        Assert.False(response.GetProperty("allowed").GetBoolean());
        return response.GetProperty("status").GetProperty("message").GetString()!;
    }
}
