using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Admission;

/// <summary>The validating webhook over HTTPS against the real registry, for the decisions that need no valid
/// signature: every way an image fails closed, and how the message names image, policy and cause.</summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class ValidateTests(RegistryFixture registry) : IAsyncLifetime
{
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private TestImageRegistry _images = null!;
    private ServerProcess _server = null!;
    private int _deadPort;

    public async Task InitializeAsync()
    {
        _images = new TestImageRegistry(registry.Host);
        _deadPort = RigProcess.FreeLoopbackPort();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(_workspace.PolicyDirectory);
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "release.pub"), key.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "policies.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: production}
            spec:
              match: {images: ["{{registry.Host}}/prod/**", "127.0.0.1:{{_deadPort}}/**"], namespaces: ["prod-*", "test-connaisseur", "connaisseur", "default", "kube-system"]}
              signatures:
                authorities: [{name: release-key, key: {file: release.pub} }]
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: soft-launch}
            spec:
              match: {images: ["{{registry.Host}}/beta/**"]}
              mode: warn
              signatures:
                authorities: [{name: release-key, key: {file: release.pub} }]
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: observe}
            spec:
              match: {images: ["{{registry.Host}}/observed/**"]}
              mode: audit
              signatures:
                authorities: [{name: release-key, key: {file: release.pub} }]
            """);

        _server = await _workspace.StartWebhookAsync(
                $"--Attest:Registries:Insecure:0={registry.Host}",
                $"--Attest:Registries:Insecure:1=127.0.0.1:{_deadPort}",
                "--Attest:Admission:TimeoutSeconds=5");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _images.Dispose();
        _workspace.Dispose();
    }

    private async Task<JsonElement> ValidateAsync(JsonObject review)
    {
        var (status, body) = await AdmissionRequests.PostAsync(_server.Client, "admission/validate", review);
        Assert.True(status == 200, _server.StandardOutput);
        var response = body.RootElement.GetProperty("response").Clone();
        Assert.Equal(review["request"]!["uid"]!.GetValue<string>(), response.GetProperty("uid").GetString());
        return response;
    }

    private static JsonObject Pod(string image, string @namespace = "prod-eu")
    {
        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", image);
        review["request"]!["namespace"] = @namespace;
        return review;
    }

    private static string Message(JsonElement response)
    {
        Assert.False(response.GetProperty("allowed").GetBoolean(), "expected a denial");
        return response.GetProperty("status").GetProperty("message").GetString()!;
    }

    [Fact]
    public async Task Unsigned_image_is_denied_as_unsigned_naming_image_policy_and_cause()
    {
        var digest = await _images.PushImageAsync("prod/unsigned", "v1");
        var image = $"{registry.Host}/prod/unsigned:v1@{digest}";
        var message = Message(await ValidateAsync(Pod(image)));
        Assert.Contains($"image {image} (container 'test-connaisseur')", message, StringComparison.Ordinal);
        Assert.Contains("fails policy 'production' (enforce)", message, StringComparison.Ordinal);
        Assert.Contains("the image is not signed", message, StringComparison.Ordinal);
        Assert.Contains("[signature.none]", message, StringComparison.Ordinal);
        Assert.DoesNotContain("mismatch", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Junk_referrer_does_not_count_as_a_signature()
    {
        var digest = await _images.PushImageAsync("prod/junk-referrer", "v1");
        await _images.AttachBundleAsync("prod/junk-referrer", digest, """{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"messageSignature":{}}"""u8.ToArray());
        var message = Message(await ValidateAsync(Pod($"{registry.Host}/prod/junk-referrer@{digest}")));
        Assert.Contains("1 signature(s) attached, none verifies", message, StringComparison.Ordinal);
        Assert.Contains("[signature.untrusted]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Referrer_that_cannot_be_used_is_named_in_the_denial()
    {
        var digest = await _images.PushImageAsync("prod/broken-referrer", "v1");
        // Listed as a bundle referrer of the image, but its manifest is a plain image that names no subject.
        var other = await _images.PushImageAsync("prod/broken-referrer", "not-a-bundle");
        var index = System.Text.Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{other}}","size":1,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}]}""");
        await _images.Client.PushManifestAsync(registry.Host, "prod/broken-referrer", Attest.Oci.RegistryClient.ReferrersTag(digest), index, "application/vnd.oci.image.index.v1+json");
        var message = Message(await ValidateAsync(Pod($"{registry.Host}/prod/broken-referrer@{digest}")));
        Assert.Contains($"referrer {other} is listed for {digest} but its manifest names no subject; not examined [evidence.subject-mismatch]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Image_given_by_tag_is_denied_as_not_pinned()
    {
        await _images.PushImageAsync("prod/tagged", "v1");
        var message = Message(await ValidateAsync(Pod($"{registry.Host}/prod/tagged:v1")));
        Assert.Contains("[image.not-pinned]", message, StringComparison.Ordinal);
        Assert.Contains("mutating webhook", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Image_no_policy_covers_is_denied()
    {
        var digest = await _images.PushImageAsync("elsewhere/app", "v1");
        var message = Message(await ValidateAsync(Pod($"{registry.Host}/elsewhere/app@{digest}")));
        Assert.Contains($"no policy covers {registry.Host}/elsewhere/app in namespace 'prod-eu' for kind Pod", message, StringComparison.Ordinal);
        Assert.Contains("[policy.none]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Namespace_outside_the_policy_is_not_covered()
    {
        var digest = await _images.PushImageAsync("prod/ns", "v1");
        var message = Message(await ValidateAsync(Pod($"{registry.Host}/prod/ns@{digest}", @namespace: "dev")));
        Assert.Contains("[policy.none]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registry_that_is_down_denies_with_the_cause_before_the_deadline()
    {
        var digest = Digest.Sha256("never pushed"u8);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var message = Message(await ValidateAsync(Pod($"127.0.0.1:{_deadPort}/app@{digest}")));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}");
        Assert.Contains("could not be fetched", message, StringComparison.Ordinal);
        Assert.Contains("[registry.unreachable]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Warn_mode_admits_with_a_warning()
    {
        var digest = await _images.PushImageAsync("beta/app", "v1");
        var response = await ValidateAsync(Pod($"{registry.Host}/beta/app@{digest}"));
        Assert.True(response.GetProperty("allowed").GetBoolean());
        var warning = Assert.Single(response.GetProperty("warnings").EnumerateArray()).GetString()!;
        Assert.StartsWith("attest: policy 'soft-launch' (warn) [signature.none] image", warning, StringComparison.Ordinal);
        Assert.True(warning.Length <= 256, $"{warning.Length} characters");
    }

    [Fact]
    public async Task Audit_mode_admits_and_records_the_failure_in_audit_annotations()
    {
        var digest = await _images.PushImageAsync("observed/app", "v1");
        var response = await ValidateAsync(Pod($"{registry.Host}/observed/app@{digest}"));
        Assert.True(response.GetProperty("allowed").GetBoolean());
        Assert.False(response.TryGetProperty("warnings", out _));
        var annotations = response.GetProperty("auditAnnotations");
        Assert.Contains("signature.none", annotations.GetProperty("attest.dev/audit-observe").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("sha256:", annotations.GetProperty("attest.dev/policy-revision").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_denied_container_denies_the_workload_and_every_failure_is_named()
    {
        var digest = await _images.PushImageAsync("prod/multi", "v1");
        var review = AdmissionRequests.Load("09_dply_multi_image.json")
            .WithImage("/spec/template/spec/initContainers/0/image", $"{registry.Host}/prod/multi@{digest}")
            .WithImage("/spec/template/spec/containers/0/image", $"{registry.Host}/prod/multi:v1")
            .WithImage("/spec/template/spec/containers/1/image", "not a valid reference");
        review["request"]!["namespace"] = "prod-eu";
        var message = Message(await ValidateAsync(review));
        Assert.Contains("container 'init'", message, StringComparison.Ordinal);
        Assert.Contains("container 'redis'", message, StringComparison.Ordinal);
        Assert.Contains("container 'mysql'", message, StringComparison.Ordinal);
        Assert.Contains("[image.reference.invalid]", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("01_deployment.json", "/spec/template/spec/containers/0/image")]
    [InlineData("02_pod.json", "/spec/containers/0/image")]
    [InlineData("03_replicaset.json", "/spec/template/spec/containers/0/image")]
    [InlineData("04_cronjob.json", "/spec/jobTemplate/spec/template/spec/containers/0/image")]
    [InlineData("05_replication_controller.json", "/spec/template/spec/containers/0/image")]
    [InlineData("06_daemonset.json", "/spec/template/spec/containers/0/image")]
    [InlineData("07_statefulset.json", "/spec/template/spec/containers/0/image")]
    [InlineData("08_job.json", "/spec/template/spec/containers/0/image")]
    [InlineData("19_pod_initcontainer.json", "/spec/initContainers/0/image")]
    [InlineData("20_pod_ephemeralcontainer.json", "/spec/ephemeralContainers/0/image")]
    public async Task Every_workload_kind_is_evaluated(string file, string pointer)
    {
        var digest = await _images.PushImageAsync("prod/kinds", "v1");
        var review = AdmissionRequests.Load(file).WithImage(pointer, $"{registry.Host}/prod/kinds@{digest}");
        var message = Message(await ValidateAsync(review));
        Assert.Contains($"{registry.Host}/prod/kinds@{digest}", message, StringComparison.Ordinal);
        Assert.Contains("[signature.none]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kinds_without_pod_specs_and_deletes_are_admitted()
    {
        var role = await ValidateAsync(AdmissionRequests.Load("11_role.json"));
        Assert.True(role.GetProperty("allowed").GetBoolean());
        Assert.Contains("not evaluated", role.GetProperty("warnings")[0].GetString(), StringComparison.Ordinal);

        var delete = Pod("anything");
        delete["request"]!["operation"] = "DELETE";
        Assert.True((await ValidateAsync(delete)).GetProperty("allowed").GetBoolean());
    }

    [Fact]
    public async Task Update_that_changes_no_image_is_admitted_without_work_and_one_that_does_is_judged()
    {
        // A real ReplicaSet UPDATE (scaling) whose image no policy covers: judged, it would be denied.
        var unchanged = AdmissionRequests.Load("10_update.json");
        var response = await ValidateAsync(unchanged);
        Assert.True(response.GetProperty("allowed").GetBoolean());
        Assert.False(response.TryGetProperty("auditAnnotations", out _)); // nothing was evaluated

        var changed = AdmissionRequests.Load("10_update.json")
            .WithImage("/spec/template/spec/containers/0/image", "docker.io/library/redis:7@sha256:2222222222222222222222222222222222222222222222222222222222222222");
        Assert.Contains("[policy.none]", Message(await ValidateAsync(changed)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pod_without_spec_is_denied_with_the_reason()
    {
        var message = Message(await ValidateAsync(AdmissionRequests.Load("12_err_pod.json")));
        Assert.Contains("Pod has no /spec", message, StringComparison.Ordinal);
        Assert.Contains("[workload.unreadable]", message, StringComparison.Ordinal);
    }
}
