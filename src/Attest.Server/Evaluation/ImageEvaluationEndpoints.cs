using System.Text.Json.Serialization;
using Attest.Oci;
using Attest.Policy.Admission;
using Attest.Policy.Evaluation;
using Attest.Server.Admission;
using Attest.Server.Api;
using Attest.Server.Auth;
using Attest.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Attest.Server.Evaluation;

/// <summary>
/// <c>POST /v1/images/evaluate</c> (scope verify): the webhook's decision on one image, asked by CI before it deploys
/// ("would this be admitted, and if not, why?"). A tag is resolved to its digest first (the webhook would pin it). It
/// decides nothing, so nothing is recorded in the ledger.
/// </summary>
public static class ImageEvaluationEndpoints
{
    private const int MaxBodyBytes = 16 * 1024;

    public static void MapImageEvaluationEndpoints(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/v1/images/evaluate", EvaluateAsync)
            .WithName("EvaluateImage").WithTags("verification")
            .RequireAuthorization(Scopes.Verify).RequireRateLimiting(AuthSetup.ApiRateLimit)
            .Accepts<ImageEvaluationRequest>("application/json")
            .Produces<ImageEvaluation>(StatusCodes.Status200OK)
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async Task<IResult> EvaluateAsync(HttpContext context, AdmissionEvaluator evaluator, RegistryClient registry, PolicyState policies,
        IOptions<AdmissionOptions> options)
    {
        var (request, problem) = await JsonBody.ReadAsync(context.Request, EvaluationJsonContext.Default.ImageEvaluationRequest, MaxBodyBytes).ConfigureAwait(false);
        if (request is null) return problem!;
        if (string.IsNullOrWhiteSpace(request.Image)) return ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid request", "image is missing");
        if (!ImageReference.TryParse(request.Image, out var reference, out var error))
            return ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid request", $"image is not an image reference: {error}");
        var kind = request.Kind ?? "Pod";
        if (WorkloadImages.PodSpecPath(kind) is null)
            return ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid request", $"kind '{kind}' is not a workload kind Attest inspects");
        if (policies.Current is not { } set)
            return ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, "not ready", "no policy set is loaded yet");

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.Value.TimeoutSeconds));
        string? resolvedFrom = null;
        if (reference.Digest is null)
        {
            try
            {
                var digest = await registry.ResolveAsync(reference, deadline.Token).ConfigureAwait(false);
                resolvedFrom = reference.ToString();
                reference = reference.WithDigest(digest);
            }
            catch (RegistryException e)
            {
                return Results.Json(new ImageEvaluation("deny", request.Image, null, null, set.Revision,
                    [$"image {request.Image}: its tag cannot be resolved: {e.Message} [{e.Code}]"], []), EvaluationJsonContext.Default.ImageEvaluation);
            }
        }
        var decision = await evaluator.EvaluateAsync(set, kind, request.Namespace,
            [new ContainerImage(reference.ToString(), "/spec/containers/0/image", "evaluate", "containers")], null, deadline.Token).ConfigureAwait(false);
        var image = decision.Images[0];
        return Results.Json(new ImageEvaluation(
            image.Verdict.ToString().ToLowerInvariant(), reference.ToString(), resolvedFrom, image.Digest?.ToString(), decision.PolicyRevision,
            image.Explain().ToList(),
            image.Outcomes.Select(o => new PolicyResult(o.Policy, o.Mode.ToString().ToLowerInvariant(), o.Passed,
                o.Reasons.Select(r => new ReasonInfo(r.Code, r.Message)).ToList(), o.SatisfiedBy)).ToList()),
            EvaluationJsonContext.Default.ImageEvaluation);
    }
}

public sealed record ImageEvaluationRequest(string? Image, string? Namespace, string? Kind);

public sealed record ReasonInfo(string Code, string Message);

public sealed record PolicyResult(string Policy, string Mode, bool Passed, IReadOnlyList<ReasonInfo> Reasons, IReadOnlyList<string> SatisfiedBy);

/// <summary>The decision: verdict (allow, warn, deny), the image as evaluated (by digest), one sentence per failing check, and each matching policy's outcome.</summary>
public sealed record ImageEvaluation(
    string Verdict, string Image,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ResolvedFrom,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Digest,
    string PolicyRevision, IReadOnlyList<string> Explanation, IReadOnlyList<PolicyResult> Policies);

[JsonSerializable(typeof(ImageEvaluationRequest))]
[JsonSerializable(typeof(ImageEvaluation))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
internal sealed partial class EvaluationJsonContext : JsonSerializerContext;
