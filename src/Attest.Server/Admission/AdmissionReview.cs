using System.Text.Json;
using System.Text.Json.Serialization;

namespace Attest.Server.Admission;

/// <summary>admission.k8s.io/v1 AdmissionReview as the API server sends it (only the fields Attest reads; unknown
/// fields are ignored as Kubernetes' own decoders do).</summary>
public sealed class AdmissionReviewRequest
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public AdmissionRequest? Request { get; set; }
}

public sealed class AdmissionRequest
{
    public string? Uid { get; set; }
    public GroupVersionKind? Kind { get; set; }
    public string? SubResource { get; set; }
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public string? Operation { get; set; }
    public JsonElement? Object { get; set; }
    public JsonElement? OldObject { get; set; }
    public bool? DryRun { get; set; }
    public UserInfo? UserInfo { get; set; }
}

/// <summary>Who sent the request to the API server (authentication.k8s.io/v1 UserInfo; <c>extra</c> is not read: it
/// may carry credential identifiers).</summary>
public sealed class UserInfo
{
    public string? Username { get; set; }
    public string? Uid { get; set; }
    public List<string>? Groups { get; set; }
}

public sealed class GroupVersionKind
{
    public string? Group { get; set; }
    public string? Version { get; set; }
    public string? Kind { get; set; }
}

public sealed record AdmissionReviewResponse(
    string ApiVersion,
    string Kind,
    AdmissionResponse Response)
{
    public static AdmissionReviewResponse For(AdmissionReviewRequest request, AdmissionResponse response) =>
        new(request.ApiVersion ?? "admission.k8s.io/v1", "AdmissionReview", response);
}

public sealed record AdmissionResponse(
    string Uid,
    bool Allowed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AdmissionStatus? Status = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Warnings = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PatchType = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Patch = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? AuditAnnotations = null);

public sealed record AdmissionStatus(int Code, string Message, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);

/// <summary>One JSONPatch operation (RFC 6902).</summary>
public sealed record JsonPatchOperation(string Op, string Path, string Value);

/// <summary>Why a request body could not be used at all (no uid to answer to): HTTP 400 or 413 with this text.</summary>
public sealed record AdmissionProblem(string Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, MaxDepth = AdmissionLimits.MaxJsonDepth)]
[JsonSerializable(typeof(AdmissionReviewRequest))]
[JsonSerializable(typeof(AdmissionReviewResponse))]
[JsonSerializable(typeof(List<JsonPatchOperation>))]
[JsonSerializable(typeof(AdmissionProblem))]
internal sealed partial class AdmissionJsonContext : JsonSerializerContext;
