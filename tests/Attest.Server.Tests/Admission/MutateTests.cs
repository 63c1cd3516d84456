using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Oci;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Admission;

[CollectionDefinition(Name)]
public sealed class ServerRegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "server-registry";
}

[Collection(ServerRegistryCollection.Name)]
public sealed class MutateTests(RegistryFixture registry) : IAsyncLifetime
{
    private readonly ServerWorkspace _workspace = new();
    private ServerProcess _server = null!;
    private Digest _appDigest;

    public async Task InitializeAsync()
    {
        using var client = new RegistryClient(new RegistryClientOptions { InsecureRegistries = new HashSet<string> { registry.Host } });
        var config = "{}"u8.ToArray();
        var configDigest = await client.PushBlobAsync(registry.Host, "demo/app", config);
        var manifest = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}","config":{"mediaType":"{{OciMediaTypes.ImageConfig}}","digest":"{{configDigest}}","size":2},"layers":[],"annotations":{"run":"{{Guid.NewGuid()}}"} }""");
        _appDigest = await client.PushManifestAsync(registry.Host, "demo/app", "v1", manifest, OciMediaTypes.ImageManifest);

        _server = await _workspace.StartWebhookAsync(
                $"--Attest:Registries:Insecure:0={registry.Host}");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _workspace.Dispose();
    }

    [Fact]
    public async Task Tags_are_pinned_to_digests_pinned_images_are_left_and_unresolvable_ones_warned_about()
    {
        var review = AdmissionRequests.Load("09_dply_multi_image.json")
            .WithImage("/spec/template/spec/initContainers/0/image", $"{registry.Host}/demo/app:v1")
            .WithImage("/spec/template/spec/containers/0/image", $"{registry.Host}/demo/app@{_appDigest}")
            .WithImage("/spec/template/spec/containers/1/image", $"{registry.Host}/demo/missing:v1");

        var (status, body) = await AdmissionRequests.PostAsync(_server.Client, "admission/mutate", review);
        Assert.Equal(200, status);
        var root = body.RootElement;
        Assert.Equal("admission.k8s.io/v1beta1", root.GetProperty("apiVersion").GetString()); // answered in the version asked
        var response = root.GetProperty("response");
        Assert.Equal(review["request"]!["uid"]!.GetValue<string>(), response.GetProperty("uid").GetString());
        Assert.True(response.GetProperty("allowed").GetBoolean());
        Assert.Equal("JSONPatch", response.GetProperty("patchType").GetString());

        using var patch = JsonDocument.Parse(Convert.FromBase64String(response.GetProperty("patch").GetString()!));
        var operation = Assert.Single(patch.RootElement.EnumerateArray());
        Assert.Equal("replace", operation.GetProperty("op").GetString());
        Assert.Equal("/spec/template/spec/initContainers/0/image", operation.GetProperty("path").GetString());
        Assert.Equal($"{registry.Host}/demo/app:v1@{_appDigest}", operation.GetProperty("value").GetString());

        var warning = Assert.Single(response.GetProperty("warnings").EnumerateArray()).GetString()!;
        Assert.Contains("demo/missing:v1 was not pinned", warning, StringComparison.Ordinal);
        Assert.Contains("registry.not-found", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_debug_container_added_through_the_ephemeralcontainers_subresource_is_pinned()
    {
        // What kubectl debug --image=… sends: an UPDATE of the pods/ephemeralcontainers subresource whose object is
        // the Pod with the new ephemeral container, the old object without it.
        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", $"{registry.Host}/demo/app@{_appDigest}");
        var request = review["request"]!.AsObject();
        request["operation"] = "UPDATE";
        request["subResource"] = "ephemeralcontainers";
        request["oldObject"] = request["object"]!.DeepClone();
        request["object"]!["spec"]!["ephemeralContainers"] = new System.Text.Json.Nodes.JsonArray(
            new System.Text.Json.Nodes.JsonObject { ["name"] = "debugger", ["image"] = $"{registry.Host}/demo/app:v1" });

        var (status, body) = await AdmissionRequests.PostAsync(_server.Client, "admission/mutate", review);
        Assert.Equal(200, status);
        var response = body.RootElement.GetProperty("response");
        using var patch = JsonDocument.Parse(Convert.FromBase64String(response.GetProperty("patch").GetString()!));
        var operation = Assert.Single(patch.RootElement.EnumerateArray());
        Assert.Equal("/spec/ephemeralContainers/0/image", operation.GetProperty("path").GetString());
        Assert.Equal($"{registry.Host}/demo/app:v1@{_appDigest}", operation.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Objects_without_images_and_deletes_pass_untouched()
    {
        var (status, role) = await AdmissionRequests.PostAsync(_server.Client, "admission/mutate", AdmissionRequests.Load("11_role.json"));
        Assert.Equal(200, status);
        Assert.True(role.RootElement.GetProperty("response").GetProperty("allowed").GetBoolean());
        Assert.False(role.RootElement.GetProperty("response").TryGetProperty("patch", out _));

        var delete = AdmissionRequests.Load("02_pod.json");
        delete["request"]!["operation"] = "DELETE";
        var (deleteStatus, deleted) = await AdmissionRequests.PostAsync(_server.Client, "admission/mutate", delete);
        Assert.Equal(200, deleteStatus);
        Assert.False(deleted.RootElement.GetProperty("response").TryGetProperty("patch", out _));
    }

    [Fact]
    public async Task Update_that_changes_no_image_is_not_pinned_so_it_starts_no_rollout()
    {
        // A real Deployment UPDATE (finalizers on delete) with an unpinned image in both versions.
        var (status, body) = await AdmissionRequests.PostAsync(_server.Client, "admission/mutate", AdmissionRequests.Load("28_deleted_deployment_updated.json"));
        Assert.Equal(200, status);
        var response = body.RootElement.GetProperty("response");
        Assert.True(response.GetProperty("allowed").GetBoolean());
        Assert.False(response.TryGetProperty("patch", out _));
        Assert.False(response.TryGetProperty("warnings", out _)); // no registry was asked (docker.io is unreachable here)
    }

    [Theory]
    [InlineData("{\"apiVersion\":", "not valid JSON")]
    [InlineData("[]", "wrong type")]
    [InlineData("{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}", "expected apiVersion admission.k8s.io/v1")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", "has no request")]
    [InlineData("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"operation\":\"CREATE\"}}", "has no uid")]
    public async Task Malformed_reviews_get_400_with_the_reason(string body, string reason)
    {
        var (status, problem) = await AdmissionRequests.PostRawAsync(_server.Client, "admission/mutate", Encoding.UTF8.GetBytes(body));
        Assert.Equal(400, status);
        Assert.Contains(reason, problem.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broken_update_without_object_or_uid_is_rejected_clearly()
    {
        var bytes = await File.ReadAllBytesAsync(RepositoryPaths.Vectors("admission", "connaisseur", "26_broken_update_admission_request.json"));
        var (status, problem) = await AdmissionRequests.PostRawAsync(_server.Client, "admission/mutate", bytes);
        Assert.Equal(400, status);
        Assert.Contains("no uid", problem.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_review_gets_413_and_the_server_keeps_serving()
    {
        var huge = Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', 10 << 20) + "\"}");
        var (status, problem) = await AdmissionRequests.PostRawAsync(_server.Client, "admission/mutate", huge);
        Assert.Equal(413, status);
        Assert.Contains("at most", problem.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        using var ready = await _server.Client.GetAsync("readyz");
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
    }

    [Theory]
    [InlineData("admission/mutate")]
    [InlineData("admission/validate")]
    public async Task Review_with_invalid_utf8_inside_the_workload_gets_400_not_500(string path)
    {
        // Found by the admission-review fuzz target: the serializer accepted the body and the image's bytes failed
        // only when read, as an unhandled exception (500).
        var body = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", "registry.example.com/prod/app@@").ToJsonString();
        var bytes = Encoding.UTF8.GetBytes(body);
        var at = Array.IndexOf(bytes, (byte)'@');
        bytes[at] = 0xC3; // a lead byte followed by '@': not UTF-8
        var (status, problem) = await AdmissionRequests.PostRawAsync(_server.Client, path, bytes);
        Assert.Equal(400, status);
        Assert.Contains("UTF-8", problem.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_content_type_gets_415()
    {
        var (status, _) = await AdmissionRequests.PostRawAsync(_server.Client, "admission/mutate", "{}"u8.ToArray(), "text/plain");
        Assert.Equal(415, status);
    }

    [Theory]
    [InlineData("admission/validate")]
    [InlineData("admission/mutate")]
    public async Task Review_with_a_duplicate_key_is_refused(string path)
    {
        // The same container names two images: whichever a reader keeps, another may keep the other.
        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", $"{registry.Host}/demo/app@{_appDigest}");
        var json = review.ToJsonString();
        var image = $"\"image\":\"{registry.Host}/demo/app@{_appDigest}\"";
        Assert.Contains(image, json, StringComparison.Ordinal);
        json = json.Replace(image, image + ",\"image\":\"docker.io/library/evil:latest\"", StringComparison.Ordinal);
        var (status, problem) = await AdmissionRequests.PostRawAsync(_server.Client, path, Encoding.UTF8.GetBytes(json));
        Assert.True(status == 400, $"{status} {problem.RootElement}");
        Assert.Contains("duplicate", problem.RootElement.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Deeply_nested_review_is_rejected_without_a_crash()
    {
        var deep = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"object\":" +
                   string.Concat(Enumerable.Repeat("[", 5_000)) + string.Concat(Enumerable.Repeat("]", 5_000)) + "}}";
        var (status, problem) = await AdmissionRequests.PostRawAsync(_server.Client, "admission/mutate", Encoding.UTF8.GetBytes(deep));
        Assert.Equal(400, status);
        Assert.Contains("depth", problem.RootElement.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
    }
}
