using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Oci;
using Attest.Server.Tests.Admission;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Signing;

/// <summary>Pushing to a registry behind Docker's bearer-token flow uses the server's registry credentials
/// (Attest:Registries:DockerConfigFile, as admission does), with push scope; without them nothing is signed.</summary>
[Collection(TokenRegistryCollection.Name)]
public sealed class PrivateRegistryPushTests(TokenAuthRegistryFixture registry)
{
    private byte[] DockerConfig() => Encoding.UTF8.GetBytes(
        $$"""{"auths":{"{{registry.Host}}":{"auth":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registry.Username}:{registry.Password}"))}}"} } }""");

    private RegistryClient CredentialedClient() => new(new RegistryClientOptions
    {
        InsecureRegistries = new HashSet<string> { registry.Host },
        Credentials = DockerConfigCredentials.ParseConfigJson(DockerConfig()),
    });

    private async Task<Digest> PushImageAsync(RegistryClient client, string repository)
    {
        var config = Encoding.UTF8.GetBytes($$"""{"created":"{{Guid.NewGuid()}}"}""");
        var configDigest = await client.PushBlobAsync(registry.Host, repository, config);
        var manifest = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}","config":{"mediaType":"{{OciMediaTypes.ImageConfig}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[]} """);
        return await client.PushManifestAsync(registry.Host, repository, "v1", manifest, OciMediaTypes.ImageManifest);
    }

    [Fact]
    public async Task Signature_is_pushed_with_the_servers_registry_credentials_and_refused_without_them()
    {
        using var client = CredentialedClient();
        var digest = await PushImageAsync(client, "private/signed");
        using var workspace = new ServerWorkspace(withPolicies: false);
        Directory.CreateDirectory(workspace.PolicyDirectory);
        var configFile = workspace.Combine("docker-config.json");
        await File.WriteAllBytesAsync(configFile, DockerConfig());

        await using (var server = await workspace.Start($"--Attest:Registries:Insecure:0={registry.Host}", $"--Attest:Registries:DockerConfigFile={configFile}").WaitUntilListeningAsync())
        {
            var token = await server.TokenForScopesAsync(workspace.DataDirectory, "sign");
            using var response = await server.SendAsync(HttpMethod.Post, "v1/signatures", token,
                JsonContent.Create(new JsonObject { ["push"] = new JsonObject { ["image"] = $"{registry.Host}/private/signed:v1" } }));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == 201, body);
            Assert.DoesNotContain(registry.Password, server.StandardOutput + server.StandardError, StringComparison.Ordinal);
        }
        Assert.Single(await client.GetReferrersAsync(registry.Host, "private/signed", digest));
        Assert.Single((await client.GetCosignArtifactAsync(ImageReference.Parse($"{registry.Host}/private/signed"), digest, CosignArtifact.Signature))!.Layers);

        using var anonymous = new ServerWorkspace(withPolicies: false);
        Directory.CreateDirectory(anonymous.PolicyDirectory);
        await using (var server = await anonymous.Start($"--Attest:Registries:Insecure:0={registry.Host}").WaitUntilListeningAsync())
        {
            var token = await server.TokenForScopesAsync(anonymous.DataDirectory, "sign");
            using var response = await server.SendAsync(HttpMethod.Post, "v1/signatures", token,
                JsonContent.Create(new JsonObject { ["push"] = new JsonObject { ["image"] = $"{registry.Host}/private/signed@{digest}" } }));
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(502, (int)response.StatusCode);
            Assert.Contains("[registry.auth.", body, StringComparison.Ordinal);
            Assert.Contains("Nothing was signed", body, StringComparison.Ordinal);
        }
    }
}
