using System.Text.Json;

namespace Attest.Policy.Admission;

/// <summary>One container image of a workload, with the JSON pointer of its <c>image</c> field (for patches and
/// for messages that say exactly which container is at fault).</summary>
public sealed record ContainerImage(string Image, string Pointer, string Container, string Section);

/// <summary>
/// Finds every image of a workload object: <c>containers</c>, <c>initContainers</c> and <c>ephemeralContainers</c>
/// of the pod spec, wherever the kind keeps it (Pod: <c>/spec</c>; Deployment, ReplicaSet, StatefulSet, DaemonSet,
/// Job, ReplicationController: <c>/spec/template/spec</c>; CronJob: <c>/spec/jobTemplate/spec/template/spec</c>).
/// </summary>
public static class WorkloadImages
{
    public const int MaxContainers = 1_000;

    private static readonly string[] Sections = ["initContainers", "containers", "ephemeralContainers"];

    /// <summary>The pointer to the pod spec of a kind, or null for kinds that carry no pod spec.</summary>
    public static string[]? PodSpecPath(string kind) => kind switch
    {
        "Pod" => ["spec"],
        "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" or "Job" or "ReplicationController" => ["spec", "template", "spec"],
        "CronJob" => ["spec", "jobTemplate", "spec", "template", "spec"],
        _ => null,
    };

    /// <summary>True for an update that leaves every container image as it was (same images at the same places):
    /// scaling, labels, finalizers. Such updates need no verification, and pinning them would rewrite the pod
    /// template and start a rollout nobody asked for.</summary>
    public static bool ImagesUnchanged(string kind, IReadOnlyList<ContainerImage> images, JsonElement? previous) =>
        previous is { ValueKind: JsonValueKind.Object } old &&
        TryExtract(kind, old, out var before, out _) &&
        images.Select(i => (i.Pointer, i.Image)).SequenceEqual(before.Select(i => (i.Pointer, i.Image)));

    /// <summary>Extracts the images of <paramref name="workload"/>; false with a reason when the object is not the
    /// shape its kind requires (a container without an image, a spec that is not an object).</summary>
    public static bool TryExtract(string kind, JsonElement workload, out IReadOnlyList<ContainerImage> images, out string? error)
    {
        images = [];
        if (PodSpecPath(kind) is not { } path)
        {
            error = $"kind {kind} is not a workload Attest understands";
            return false;
        }
        var node = workload;
        var pointer = "";
        foreach (var segment in path)
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(segment, out node))
            {
                error = $"{kind} has no {pointer}/{segment}";
                return false;
            }
            pointer += "/" + segment;
        }
        if (node.ValueKind != JsonValueKind.Object)
        {
            error = $"{kind} {pointer} is not an object";
            return false;
        }

        var found = new List<ContainerImage>();
        foreach (var section in Sections)
        {
            if (!node.TryGetProperty(section, out var containers) || containers.ValueKind == JsonValueKind.Null) continue;
            if (containers.ValueKind != JsonValueKind.Array)
            {
                error = $"{kind} {pointer}/{section} is not a list";
                return false;
            }
            var index = 0;
            foreach (var container in containers.EnumerateArray())
            {
                var at = $"{pointer}/{section}/{index}";
                var name = container.ValueKind == JsonValueKind.Object && container.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                    ? n.GetString()!
                    : $"#{index}";
                if (container.ValueKind != JsonValueKind.Object || !container.TryGetProperty("image", out var image) ||
                    image.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(image.GetString()))
                {
                    error = $"{kind} container '{name}' ({at}) has no image";
                    return false;
                }
                if (found.Count == MaxContainers)
                {
                    error = $"{kind} has more than {MaxContainers} containers";
                    return false;
                }
                found.Add(new ContainerImage(image.GetString()!, at + "/image", name, section));
                index++;
            }
        }
        images = found;
        error = null;
        return true;
    }
}
