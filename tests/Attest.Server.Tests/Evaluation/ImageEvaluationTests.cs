using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Evaluation;

public sealed class ImageEvaluationTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task An_image_no_policy_covers_is_denied_and_the_explanation_says_so_without_a_ledger_entry()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "verify");

        using var response = await server.SendAsync(HttpMethod.Post, "v1/images/evaluate", token,
            JsonContent.Create(new { image = $"unmatched.example/app@{Digest}", @namespace = "default" }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("deny", body.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(Digest, body.RootElement.GetProperty("digest").GetString());
        var explanation = string.Join("\n", body.RootElement.GetProperty("explanation").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("policy.none", explanation, StringComparison.Ordinal);
        Assert.Contains("unmatched.example/app", explanation, StringComparison.Ordinal);

        var decisions = await CliRunner.RunAsync(workspace.Path, "ledger", "query", "--db", Path.Combine(workspace.DataDirectory, "ledger.db"), "--kind", "admission.decision");
        Assert.DoesNotContain("unmatched.example", decisions.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tag_on_an_unreachable_registry_is_denied_with_the_registry_named()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start($"--Attest:Registries:Insecure:0=127.0.0.1:{RigProcess.FreeLoopbackPort()}").WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "verify");
        var port = RigProcess.FreeLoopbackPort();
        using var response = await server.SendAsync(HttpMethod.Post, "v1/images/evaluate", token, JsonContent.Create(new { image = $"127.0.0.1:{port}/app:v1" }));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("deny", body.RootElement.GetProperty("verdict").GetString());
        Assert.Contains($"127.0.0.1:{port}/app:v1", body.RootElement.GetProperty("explanation")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"image":"UPPER/Case@@x"}""", "not an image reference")]
    [InlineData("""{"image":"a/b:c","kind":"Service"}""", "not a workload kind")]
    [InlineData("""{}""", "image is missing")]
    [InlineData("""{"image":"a/b:c","extra":true}""", "has an unknown field 'extra' at $ (allowed here: ")]
    public async Task Bad_requests_get_a_precise_400(string json, string message)
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "verify");
        using var response = await server.SendAsync(HttpMethod.Post, "v1/images/evaluate", token, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
