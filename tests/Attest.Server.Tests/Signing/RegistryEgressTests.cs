using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Attest.Oci;
using Attest.Server.Tests.Admission;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Signing;

/// <summary>
/// A registry that sends Attest elsewhere — an upload location on another host, a token realm elsewhere — reaches only
/// what the egress rules allow, and never with the registry's credentials: the real registry (Basic authentication)
/// behind a proxy that rewrites its answers, a bystander standing for an internal service, the real server pushing a
/// signature.
/// </summary>
[Collection(BasicRegistryCollection.Name)]
public sealed class RegistryEgressTests(BasicAuthRegistryFixture registry)
{
    private byte[] DockerConfig(string host) => Encoding.UTF8.GetBytes(
        $$"""{"auths":{"{{host}}":{"auth":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registry.Username}:{registry.Password}"))}}"} } }""");

    private async Task PushImageAsync(string repository)
    {
        using var images = new TestImageRegistry(registry.Host, DockerConfigCredentials.ParseConfigJson(DockerConfig(registry.Host)));
        await images.PushImageAsync(repository, "v1");
    }

    private async Task<(int Status, string Body)> SignAndPushAsync(RegistryProxy proxy, params string[] settings)
    {
        using var workspace = new ServerWorkspace(withPolicies: false);
        Directory.CreateDirectory(workspace.PolicyDirectory);
        var configFile = workspace.Combine("docker-config.json");
        await File.WriteAllBytesAsync(configFile, DockerConfig(proxy.Host));
        await using var server = await workspace.Start([$"--Attest:Registries:Insecure:0={proxy.Host}", $"--Attest:Registries:DockerConfigFile={configFile}", .. settings])
            .WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "sign");
        using var response = await server.SendAsync(HttpMethod.Post, "v1/signatures", token,
            JsonContent.Create(new JsonObject { ["push"] = new JsonObject { ["image"] = $"{proxy.Host}/egress/app:v1", ["legacy"] = false } }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(registry.Password, server.StandardOutput + server.StandardError, StringComparison.Ordinal);
        return ((int)response.StatusCode, body);
    }

    [Fact]
    public async Task Upload_location_on_another_host_never_receives_the_registrys_credentials()
    {
        await PushImageAsync("egress/app");
        await using var bystander = new Bystander();
        // The registry answers the upload's POST with a Location on another host (an internal service).
        await using var proxy = new RegistryProxy(registry.Host, (request, response) =>
        {
            if (request.HttpMethod == "POST" && request.Url!.AbsolutePath.EndsWith("/blobs/uploads/", StringComparison.Ordinal) && response.Headers.Location is not null)
                response.Headers.Location = new Uri($"http://{bystander.Host}/internal/upload?state=1");
        });

        // Allowed lists only the registry: the other host is never contacted, and nothing is signed.
        var (refused, refusedBody) = await SignAndPushAsync(proxy, $"--Attest:Registries:Allowed:0={proxy.Host}");
        Assert.True(refused == 502, refusedBody);
        Assert.Contains("[registry.not-allowed]", refusedBody, StringComparison.Ordinal);
        Assert.Empty(bystander.Received);

        // With no allowlist the location is followed, as the operator allowed, but the credentials stay with the registry.
        await SignAndPushAsync(proxy);
        Assert.NotEmpty(bystander.Received);
        Assert.All(bystander.Received, r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task Token_realm_on_another_host_is_refused_outside_the_allowlist()
    {
        await PushImageAsync("egress/app");
        await using var bystander = new Bystander();
        await using var proxy = new RegistryProxy(registry.Host, (_, response) =>
        {
            if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
            {
                response.Headers.WwwAuthenticate.Clear();
                response.Headers.TryAddWithoutValidation("WWW-Authenticate", $"Bearer realm=\"http://{bystander.Host}/token\",service=\"registry\"");
            }
        });
        var (status, body) = await SignAndPushAsync(proxy, $"--Attest:Registries:Allowed:0={proxy.Host}");
        Assert.True(status == 502, body);
        Assert.Contains("[registry.not-allowed]", body, StringComparison.Ordinal);
        Assert.Empty(bystander.Received);
    }
}
