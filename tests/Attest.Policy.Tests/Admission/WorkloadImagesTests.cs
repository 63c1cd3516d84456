using System.Text.Json;
using Attest.Policy.Admission;
using Attest.Testing;

namespace Attest.Policy.Tests.Admission;

/// <summary>Image extraction over real AdmissionReview requests (Connaisseur's test data, tests/vectors/admission).</summary>
public sealed class WorkloadImagesTests
{
    private const string Charlie = "securesystemsengineering/charlie-image@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff";

    public static TheoryData<string, string[]> Requests => new()
    {
        { "01_deployment.json", ["containers|test-connaisseur|securesystemsengineering/alice-image:test|/spec/template/spec/containers/0/image"] },
        { "02_pod.json", [$"containers|test-connaisseur|{Charlie}|/spec/containers/0/image"] },
        { "03_replicaset.json", ["containers|test-connaisseur|securesystemsengineering/sample-san-sama:hai|/spec/template/spec/containers/0/image"] },
        { "04_cronjob.json", ["containers|yooob|busybox|/spec/jobTemplate/spec/template/spec/containers/0/image"] },
        { "05_replication_controller.json", ["containers|nginx|nginx|/spec/template/spec/containers/0/image"] },
        { "06_daemonset.json", ["containers|fluentd-elasticsearch|quay.io/fluentd_elasticsearch/fluentd:v2.5.2|/spec/template/spec/containers/0/image"] },
        { "07_statefulset.json", ["containers|nginx|registry.k8s.io/nginx-slim:0.8|/spec/template/spec/containers/0/image"] },
        { "08_job.json", ["containers|pi|perl:5.34.0|/spec/template/spec/containers/0/image"] },
        { "09_dply_multi_image.json", [
            "initContainers|init|busybox:1.32|/spec/template/spec/initContainers/0/image",
            "containers|redis|redis:alpine|/spec/template/spec/containers/0/image",
            "containers|mysql|mysql:8|/spec/template/spec/containers/1/image"] },
        { "19_pod_initcontainer.json", [
            "initContainers|my-initcontainer|nginx|/spec/initContainers/0/image",
            $"containers|test-connaisseur|{Charlie}|/spec/containers/0/image"] },
        { "20_pod_ephemeralcontainer.json", [
            $"containers|test-connaisseur|{Charlie}|/spec/containers/0/image",
            "ephemeralContainers|my-initcontainer|nginx|/spec/ephemeralContainers/0/image"] },
        { "24_alice_tag_digest_dpl.json", ["containers|test-connaisseur|securesystemsengineering/alice-image:test@sha256:1234567890123456123456789012345612345678901234561234567890123456|/spec/template/spec/containers/0/image"] },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void Finds_every_container_image_of_every_workload_kind(string file, string[] expected)
    {
        var (kind, workload) = Load(file);
        Assert.True(WorkloadImages.TryExtract(kind, workload, out var images, out var error), error);
        Assert.Equal(expected, images.Select(i => $"{i.Section}|{i.Container}|{i.Image}|{i.Pointer}"));

        // The pointer really addresses the image in the object (patches are written to it).
        foreach (var image in images)
        {
            var node = workload;
            foreach (var segment in image.Pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
                node = node.ValueKind == JsonValueKind.Array ? node[int.Parse(segment, System.Globalization.CultureInfo.InvariantCulture)] : node.GetProperty(segment);
            Assert.Equal(image.Image, node.GetString());
        }
    }

    [Fact]
    public void A_kind_without_a_pod_spec_is_not_a_workload()
    {
        var (kind, workload) = Load("11_role.json");
        Assert.Equal("Role", kind);
        Assert.False(WorkloadImages.TryExtract(kind, workload, out _, out var error));
        Assert.Equal("kind Role is not a workload Attest understands", error);
    }

    [Fact]
    public void A_pod_without_a_spec_is_reported_not_crashed_on()
    {
        var (kind, workload) = Load("12_err_pod.json");
        Assert.False(WorkloadImages.TryExtract(kind, workload, out _, out var error));
        Assert.Equal("Pod has no /spec", error);
    }

    [Theory]
    [InlineData("""{"spec":{"containers":[{"name":"a"}]}}""", "Pod container 'a' (/spec/containers/0) has no image")]
    [InlineData("""{"spec":{"containers":[{"name":"a","image":""}]}}""", "Pod container 'a' (/spec/containers/0) has no image")]
    [InlineData("""{"spec":{"containers":[{"name":"a","image":42}]}}""", "Pod container 'a' (/spec/containers/0) has no image")]
    [InlineData("""{"spec":{"containers":{"name":"a"}}}""", "Pod /spec/containers is not a list")]
    [InlineData("""{"spec":[]}""", "Pod /spec is not an object")]
    public void Malformed_pod_specs_get_a_precise_reason(string json, string expected)
    {
        using var document = JsonDocument.Parse(json);
        Assert.False(WorkloadImages.TryExtract("Pod", document.RootElement, out _, out var error));
        Assert.Equal(expected, error);
    }

    private static (string Kind, JsonElement Workload) Load(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(RepositoryPaths.Vectors("admission", "connaisseur", file)));
        var request = document.RootElement.GetProperty("request");
        return (request.GetProperty("kind").GetProperty("kind").GetString()!, request.GetProperty("object").Clone());
    }
}
