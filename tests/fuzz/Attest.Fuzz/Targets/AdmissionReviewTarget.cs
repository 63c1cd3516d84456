using System.Text.Json;
using Attest.Oci;
using Attest.Policy;
using Attest.Policy.Admission;
using Attest.Server.Admission;
using Microsoft.AspNetCore.Http;

namespace Attest.Fuzz.Targets;

/// <summary>
/// An AdmissionReview body as the validating and mutating webhooks read it, up to the point where a registry would be
/// asked: <see cref="AdmissionReviewReader.ReadAsync"/> (a status and a sentence for what it refuses), the workload's
/// images (<see cref="WorkloadImages"/>: a sentence for unreadable workloads), the UPDATE shortcut, each image's
/// reference (<see cref="ImageReference.TryParse"/>) and the policy match on its canonical name.
/// </summary>
internal static class AdmissionReviewTarget
{
    private static readonly PolicySet Policies = LoadPolicies();

    public static void Run(byte[] input)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = input.Length;
        context.Request.Body = new MemoryStream(input, writable: false);
        var (review, _, _) = AdmissionReviewReader.ReadAsync(context.Request, CancellationToken.None).GetAwaiter().GetResult();
        if (review?.Request is not { } request) return;
        if (request.Object is not { ValueKind: JsonValueKind.Object } workload) return;
        var kind = request.Kind?.Kind ?? "";
        if (WorkloadImages.PodSpecPath(kind) is null) return;
        if (!WorkloadImages.TryExtract(kind, workload, out var images, out _)) return;
        WorkloadImages.ImagesUnchanged(kind, images, request.OldObject);
        foreach (var image in images)
        {
            if (!ImageReference.TryParse(image.Image, out var reference, out _)) continue;
            foreach (var policy in Policies.ImagePolicies) policy.Match.Matches(reference.Name, request.Namespace, kind);
        }
    }

    private static PolicySet LoadPolicies()
    {
        var directory = Directory.CreateTempSubdirectory("attest-fuzz-policies-");
        try
        {
            File.WriteAllBytes(Path.Combine(directory.FullName, "policies.yaml"), Fixtures.Bytes("admission-policies.yaml"));
            File.WriteAllBytes(Path.Combine(directory.FullName, "cosign.pub"), Fixtures.Bytes("managed-key.pub"));
            var (set, errors) = PolicyDirectoryLoader.Load(directory.FullName);
            return set ?? throw new InvalidOperationException("the admission fixture policies do not load: " + string.Join("; ", errors));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
