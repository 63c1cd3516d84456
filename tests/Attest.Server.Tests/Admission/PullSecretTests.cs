using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Oci;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Admission;

[CollectionDefinition(Name)]
public sealed class BasicRegistryCollection : ICollectionFixture<BasicAuthRegistryFixture>
{
    public const string Name = "server-basic-registry";
}

/// <summary>
/// Image pull secrets read from the Kubernetes API: a registry that needs Basic credentials is reached with those of
/// the pod's imagePullSecrets or of its service account, fetched from a fake API server (Kestrel, HTTPS, bearer
/// token) that answers with real Secret and ServiceAccount JSON. Without them, the webhook fails closed naming the
/// authentication failure; the credentials never appear in its output.
/// </summary>
[Collection(BasicRegistryCollection.Name)]
public sealed class PullSecretTests(BasicAuthRegistryFixture registry) : IAsyncLifetime
{
    private const string Namespace = "test-connaisseur";
    private const string TeamNamespace = "team-b";
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private FakeKubernetesApi _api = null!;
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _api.AddDockerConfigSecret(Namespace, "regcred", registry.Host, registry.Username, registry.Password);
        _api.AddDockerConfigSecret(Namespace, "wrongcred", registry.Host, registry.Username, "not-the-password");
        _api.AddOpaqueSecret(Namespace, "opaque");
        _api.AddServiceAccount(Namespace, "default");
        _api.AddDockerConfigSecret(TeamNamespace, "team-regcred", registry.Host, registry.Username, registry.Password);
        _api.AddServiceAccount(TeamNamespace, "default", "team-regcred");

        Directory.CreateDirectory(_workspace.PolicyDirectory);
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "k.pub"), key.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "p.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: private}
            spec:
              match: {images: ["{{registry.Host}}/**"]}
              signatures: {authorities: [{name: k, key: {file: k.pub} }]}
            """);
        _server = await _workspace.StartWebhookAsync(
            $"--Attest:Registries:Insecure:0={registry.Host}",
            "--Attest:Admission:PullSecrets:Enabled=true",
            $"--Attest:Admission:PullSecrets:ApiServer={_api.BaseUri}",
            $"--Attest:Admission:PullSecrets:TokenFile={_api.TokenFile}",
            $"--Attest:Admission:PullSecrets:CaFile={_api.CaFile}",
            "--Attest:Admission:PullSecrets:CacheSeconds=300",
            "--Attest:Admission:VerdictCacheSeconds=0");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _api.DisposeAsync();
        _workspace.Dispose();
    }

    private async Task<Digest> PushAsync(string repository)
    {
        using var client = new RegistryClient(new RegistryClientOptions
        {
            InsecureRegistries = new HashSet<string> { registry.Host },
            Credentials = DockerConfigCredentials.ParseConfigJson(Encoding.UTF8.GetBytes(
                $$"""{"auths":{"{{registry.Host}}":{"username":"{{registry.Username}}","password":"{{registry.Password}}"} } }""")),
        });
        var config = Encoding.UTF8.GetBytes($$"""{"created":"{{Guid.NewGuid()}}"}""");
        var configDigest = await client.PushBlobAsync(registry.Host, repository, config);
        var manifest = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}","config":{"mediaType":"{{OciMediaTypes.ImageConfig}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[]} """);
        return await client.PushManifestAsync(registry.Host, repository, "v1", manifest, OciMediaTypes.ImageManifest);
    }

    private static JsonObject Pod(string image, params string[] pullSecrets)
    {
        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", image);
        var spec = review["request"]!["object"]!["spec"]!.AsObject();
        spec["serviceAccountName"] = "default";
        if (pullSecrets.Length > 0) spec["imagePullSecrets"] = new JsonArray([.. pullSecrets.Select(s => (JsonNode)new JsonObject { ["name"] = s })]);
        return review;
    }

    private async Task<JsonElement> PostAsync(string path, JsonObject review)
    {
        var (status, body) = await AdmissionRequests.PostAsync(_server.Client, path, review);
        Assert.Equal(200, status);
        return body.RootElement.GetProperty("response").Clone();
    }

    private static string Message(JsonElement response) =>
        response.TryGetProperty("status", out var s) ? s.GetProperty("message").GetString()! : "(allowed)";

    [Fact]
    public async Task Pod_pull_secret_from_the_API_server_signs_in_to_the_registry_to_pin_and_judge()
    {
        var digest = await PushAsync("pull/app");
        var mutated = await PostAsync("admission/mutate", Pod($"{registry.Host}/pull/app:v1", "regcred"));
        using var patch = JsonDocument.Parse(Convert.FromBase64String(mutated.GetProperty("patch").GetString()!));
        Assert.Equal($"{registry.Host}/pull/app:v1@{digest}", patch.RootElement[0].GetProperty("value").GetString());

        var validated = await PostAsync("admission/validate", Pod($"{registry.Host}/pull/app@{digest}", "regcred"));
        // Reached the registry: judged on its signatures (it has none), not refused for access.
        Assert.Contains("[signature.none]", Message(validated), StringComparison.Ordinal);

        Assert.Contains($"/api/v1/namespaces/{Namespace}/secrets/regcred", _api.Requests);
        Assert.Contains($"/api/v1/namespaces/{Namespace}/serviceaccounts/default", _api.Requests);
        var output = _server.StandardOutput + _server.StandardError;
        Assert.DoesNotContain(registry.Password, output, StringComparison.Ordinal);
        Assert.DoesNotContain(_api.Token, output, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registry.Username}:{registry.Password}")), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workloads_pull_secrets_are_fetched_together_and_used_in_order()
    {
        // Three secrets named by the pod, none cached yet, from an API server that takes 300 ms per answer: a cold
        // admission waits for them together, and the usable one among them still signs in.
        _api.AddOpaqueSecret(Namespace, "together-opaque");
        _api.AddDockerConfigSecret(Namespace, "together-regcred", registry.Host, registry.Username, registry.Password);
        var digest = await PushAsync("pull/together");
        _api.ResponseDelay = TimeSpan.FromMilliseconds(300);
        try
        {
            var validated = await PostAsync("admission/validate",
                Pod($"{registry.Host}/pull/together@{digest}", "together-missing", "together-opaque", "together-regcred"));
            Assert.Contains("[signature.none]", Message(validated), StringComparison.Ordinal);
        }
        finally
        {
            _api.ResponseDelay = TimeSpan.Zero;
        }
        Assert.True(_api.MostInFlight >= 3, $"at most {_api.MostInFlight} API requests were in flight at once");
    }

    [Fact]
    public async Task An_oversized_API_answer_is_refused_and_the_other_secrets_still_sign_in()
    {
        _api.AddOversizedSecret(Namespace, "oversized", 2 << 20);
        var digest = await PushAsync("pull/oversized");
        var validated = await PostAsync("admission/validate", Pod($"{registry.Host}/pull/oversized@{digest}", "oversized", "regcred"));
        Assert.Contains("[signature.none]", Message(validated), StringComparison.Ordinal);
        Assert.Contains($"/api/v1/namespaces/{Namespace}/secrets/oversized", _api.Requests);
        Assert.Contains("more than 1048576 bytes", _server.StandardOutput + _server.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deployment_without_pull_secrets_uses_those_of_its_service_account()
    {
        var digest = await PushAsync("pull/team");
        var review = AdmissionRequests.Load("01_deployment.json").WithImage("/spec/template/spec/containers/0/image", $"{registry.Host}/pull/team@{digest}");
        review["request"]!["namespace"] = TeamNamespace;
        Assert.Contains("[signature.none]", Message(await PostAsync("admission/validate", review)), StringComparison.Ordinal);
        Assert.Contains($"/api/v1/namespaces/{TeamNamespace}/serviceaccounts/default", _api.Requests);
        Assert.Contains($"/api/v1/namespaces/{TeamNamespace}/secrets/team-regcred", _api.Requests);
    }

    [Fact]
    public async Task Without_usable_pull_secrets_the_registry_refusal_is_the_denial()
    {
        var digest = await PushAsync("pull/locked");
        var image = $"{registry.Host}/pull/locked@{digest}";
        // No pull secret, a missing one, an Opaque one, and one with the wrong password.
        foreach (var secrets in new[] { Array.Empty<string>(), ["missing"], ["opaque"], ["wrongcred"] })
        {
            var response = await PostAsync("admission/validate", Pod(image, secrets));
            Assert.False(response.GetProperty("allowed").GetBoolean());
            Assert.Contains("[registry.auth", Message(response), StringComparison.Ordinal);
        }
        Assert.Contains($"/api/v1/namespaces/{Namespace}/secrets/missing", _api.Requests);
        Assert.DoesNotContain("hunter2", _server.StandardOutput + _server.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_and_service_accounts_are_cached_between_requests()
    {
        var digest = await PushAsync("pull/cached");
        var review = Pod($"{registry.Host}/pull/cached@{digest}", "regcred");
        Assert.Contains("[signature.none]", Message(await PostAsync("admission/validate", review)), StringComparison.Ordinal);
        var before = _api.Requests.Count;
        Assert.Contains("[signature.none]", Message(await PostAsync("admission/validate", review)), StringComparison.Ordinal);
        Assert.Equal(before, _api.Requests.Count);
    }
}

/// <summary>Reading pull secrets is checked at start-up: without an API server or its token, the server does not start.</summary>
public sealed class PullSecretStartupTests
{
    [Theory]
    [InlineData("", "needs Attest:Admission:PullSecrets:ApiServer or KUBERNETES_SERVICE_HOST")]
    [InlineData("--Attest:Admission:PullSecrets:ApiServer=http://127.0.0.1:6443", "must be an https URL")]
    [InlineData("--Attest:Admission:PullSecrets:ApiServer=https://127.0.0.1:6443", "Attest:Admission:PullSecrets: ")]
    public async Task Enabled_without_a_usable_API_server_connection_stops_startup(string setting, string expected)
    {
        using var workspace = new ServerWorkspace();
        string[] arguments = setting.Length == 0
            ? ["--Attest:Admission:PullSecrets:Enabled=true"]
            : ["--Attest:Admission:PullSecrets:Enabled=true", setting, $"--Attest:Admission:PullSecrets:TokenFile={workspace.Combine("no-token")}", $"--Attest:Admission:PullSecrets:CaFile={workspace.Combine("no-ca.crt")}"];
        await using var server = workspace.Start(arguments);
        Assert.NotEqual(0, await server.WaitForExitAsync());
        var line = Assert.Single(server.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("attest-server: error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }
}
