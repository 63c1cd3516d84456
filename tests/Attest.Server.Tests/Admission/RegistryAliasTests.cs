using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Admission;

/// <summary>Every alias of a registry is the same registry to a policy: a workload that spells the policy's registry
/// another way (another loopback form, a default port, a Docker Hub alias) is matched and judged by it, not let
/// through by a permissive fallback, and the ledger records the one canonical name.</summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class RegistryAliasTests(RegistryFixture registry) : IAsyncLifetime
{
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private TestImageRegistry _images = null!;
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        _images = new TestImageRegistry(registry.Host);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(_workspace.PolicyDirectory);
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "release.pub"), key.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "policies.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: production}
            spec:
              match: {images: ["{{registry.Host}}/prod/**", "nginx"]}
              signatures:
                authorities: [{name: release-key, key: {file: release.pub} }]
            """);
        // The configuration the finding needs: images no policy covers are admitted.
        _server = await _workspace.StartWebhookAsync(
            $"--Attest:Registries:Insecure:0={registry.Host}",
            "--Attest:Admission:AllowUnmatchedImages=true",
            "--Attest:Admission:TimeoutSeconds=5");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _images.Dispose();
        _workspace.Dispose();
    }

    [Fact]
    public async Task Loopback_aliases_of_the_policys_registry_are_judged_by_the_policy()
    {
        var digest = await _images.PushImageAsync("prod/app", "v1");
        var port = registry.Host[(registry.Host.LastIndexOf(':') + 1)..];
        foreach (var host in new[] { registry.Host, $"localhost:{port}", $"127.1:{port}", $"127.0.0.2:{port}", $"[::1]:{port}", $"2130706433:{port}", $"LOCALHOST:{port}" })
        {
            var response = await ValidateAsync($"{host}/prod/app@{digest}");
            Assert.False(response.GetProperty("allowed").GetBoolean(), $"{host} escaped the policy");
            var message = response.GetProperty("status").GetProperty("message").GetString()!;
            Assert.Contains("fails policy 'production'", message, StringComparison.Ordinal);
        }

        // The ledger records the canonical name, whatever the workload wrote.
        var images = await LedgerImagesAsync();
        Assert.Contains($"{registry.Host}/prod/app@{digest}", images);
        Assert.DoesNotContain(images, i => i.StartsWith("localhost", StringComparison.Ordinal) || i.StartsWith("127.1:", StringComparison.Ordinal) || i.StartsWith('['));
    }

    [Theory]
    [InlineData("docker.io:443/library/nginx")]
    [InlineData("index.docker.io/library/nginx")]
    [InlineData("registry-1.docker.io:443/library/nginx")]
    [InlineData("docker.io/nginx")]
    public async Task Docker_hub_aliases_are_judged_by_a_policy_on_the_short_name(string name)
    {
        var response = await ValidateAsync($"{name}@sha256:{new string('a', 64)}");
        Assert.False(response.GetProperty("allowed").GetBoolean(), $"{name} escaped the policy on nginx");
        Assert.Contains("fails policy 'production'", response.GetProperty("status").GetProperty("message").GetString()!, StringComparison.Ordinal);
    }

    private async Task<JsonElement> ValidateAsync(string image)
    {
        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", image);
        review["request"]!["uid"] = Guid.NewGuid().ToString();
        var (status, body) = await AdmissionRequests.PostAsync(_server.Client, "admission/validate", review);
        Assert.True(status == 200, $"{image}: {status} {body.RootElement}");
        return body.RootElement.GetProperty("response").Clone();
    }

    private async Task<List<string>> LedgerImagesAsync()
    {
        var query = await CliRunner.RunAsync(_workspace.Path, "ledger", "query", "--db", Path.Combine(_workspace.DataDirectory, "ledger.db"), "--kind", "admission.decision");
        Assert.True(query.ExitCode == 0, query.StandardError);
        return query.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonNode.Parse(line)!["image"]?.GetValue<string>() ?? "").ToList();
    }
}
