using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Attest.Server.Tests.Admission;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Signing;

/// <summary>A push to a plain-HTTP registry the server was not told about fails with the TLS handshake's own cause and
/// the settings that fix it (Attest:Registries:Insecure, CaFile), not "The SSL connection could not be established, see
/// inner exception"; nothing is signed.</summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class PlainHttpRegistryTests(RegistryFixture registry)
{
    [Fact]
    public async Task Push_to_a_plain_http_registry_names_the_cause_and_the_settings_that_fix_it()
    {
        using (var images = new TestImageRegistry(registry.Host)) await images.PushImageAsync("plain/signed", "v1");
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "sign");
        using var response = await server.SendAsync(HttpMethod.Post, "v1/signatures", token,
            JsonContent.Create(new { push = new { image = $"{registry.Host}/plain/signed:v1" } }));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;
        Assert.DoesNotContain("see inner exception", detail, StringComparison.Ordinal);
        Assert.Contains("unreachable over HTTPS (The SSL connection could not be established: ", detail, StringComparison.Ordinal);
        Assert.Contains("server: Attest:Registries:Insecure", detail, StringComparison.Ordinal);
        Assert.Contains("Attest:Registries:CaFile", detail, StringComparison.Ordinal);
        Assert.Contains("Nothing was signed.", detail, StringComparison.Ordinal);
    }
}
