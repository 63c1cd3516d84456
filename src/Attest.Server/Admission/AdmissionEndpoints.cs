using System.Text;
using System.Text.Json;
using Attest.Ledger;
using Attest.Policy.Admission;
using Attest.Policy.Evaluation;
using Attest.Server.Hosting;
using Attest.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace Attest.Server.Admission;

/// <summary><c>POST /admission/mutate</c> (pins tags to digests, nothing else) and <c>POST /admission/validate</c>.
/// The endpoints translate AdmissionReview to and from the libraries; the libraries decide.</summary>
public static partial class AdmissionEndpoints
{
    public static void MapAdmissionEndpoints(this IEndpointRouteBuilder endpoints)
    {
        MapReview(endpoints, "/admission/mutate", MutateAsync, "AdmissionMutate");
        MapReview(endpoints, "/admission/validate", ValidateAsync, "AdmissionValidate");
    }

    /// <summary>Both webhooks take an AdmissionReview and answer with one, or with a problem when the body is unusable.</summary>
    private static void MapReview(IEndpointRouteBuilder endpoints, string pattern, Delegate handler, string name) =>
        endpoints.MapPost(pattern, handler)
            .WithName(name)
            .WithTags("admission")
            .Accepts<AdmissionReviewRequest>("application/json")
            .Produces<AdmissionReviewResponse>(StatusCodes.Status200OK)
            .Produces<AdmissionProblem>(StatusCodes.Status400BadRequest)
            .Produces<AdmissionProblem>(StatusCodes.Status413PayloadTooLarge)
            .Produces<AdmissionProblem>(StatusCodes.Status415UnsupportedMediaType)
            .WithAdmissionTelemetry(pattern[(pattern.LastIndexOf('/') + 1)..]);

    private static async Task<IResult> ValidateAsync(
        HttpContext context, AdmissionEvaluator evaluator, DecisionRecorder recorder, PolicyState policies, IOptions<AdmissionOptions> options,
        KubernetesPullSecrets pullSecrets, ILoggerFactory loggers)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.Value.TimeoutSeconds));
        var (review, status, problem) = await AdmissionReviewReader.ReadAsync(context.Request, deadline.Token).ConfigureAwait(false);
        if (review is null) return Problem(status, problem!);
        var request = review.Request!;
        var uid = request.Uid!;
        var logger = loggers.CreateLogger("Attest.Server.Admission");
        using var scope = AdmissionLog.Scope(logger, uid);

        if (request.Operation is not ("CREATE" or "UPDATE") || request.Object is not { ValueKind: JsonValueKind.Object } workload)
            return Respond(review, new AdmissionResponse(uid, true));
        var kind = request.Kind?.Kind ?? "";
        if (WorkloadImages.PodSpecPath(kind) is null)
            return Respond(review, new AdmissionResponse(uid, true, Warnings: [Truncate($"attest: kind '{kind}' carries no pod spec Attest inspects; not evaluated")]));

        var subject = $"{kind} {request.Namespace}/{request.Name ?? "(generated name)"}";
        if (!WorkloadImages.TryExtract(kind, workload, out var images, out var error))
            return Respond(review, new AdmissionResponse(uid, false, new AdmissionStatus(StatusCodes.Status403Forbidden,
                $"attest denied {subject}: {error} [{AdmissionCodes.WorkloadUnreadable}]")));
        if (request.Operation == "UPDATE" && WorkloadImages.ImagesUnchanged(kind, images, request.OldObject))
            return Respond(review, new AdmissionResponse(uid, true));
        if (policies.Current is not { } set)
            return Respond(review, new AdmissionResponse(uid, false, new AdmissionStatus(StatusCodes.Status503ServiceUnavailable,
                $"attest denied {subject}: no policy set is loaded yet")));

        // The workload's image pull secrets, when reading them is enabled, sign in to its registries.
        var credentials = await pullSecrets.ForWorkloadAsync(kind, request.Namespace, workload, deadline.Token).ConfigureAwait(false);
        var decision = await evaluator.EvaluateAsync(set, kind, request.Namespace, images, credentials, deadline.Token).ConfigureAwait(false);
        AdmissionTelemetry.Decided(context, decision);

        // Every decision is recorded before it is answered (dry runs change nothing, so they are not recorded). An
        // admission that cannot be recorded is not granted: the audit trail must not have gaps.
        long[] recorded = [];
        if (request.DryRun != true)
        {
            try
            {
                recorded = await recorder.RecordAsync(request, kind, decision, deadline.Token).ConfigureAwait(false);
            }
            catch (LedgerBusyException e)
            {
                // Pushback: the ledger's queue is full, so the API server hears so now rather than at its own timeout.
                AdmissionLog.NotRecorded(logger, uid, e.Message);
                return Respond(review, new AdmissionResponse(uid, false, new AdmissionStatus(StatusCodes.Status503ServiceUnavailable,
                    $"attest denied {subject}: the decision could not be recorded, the ledger is busy; retry shortly [{LedgerBusyException.Code}]")));
            }
            catch (Exception e) when (e is not OperationCanceledException || deadline.IsCancellationRequested)
            {
                AdmissionLog.NotRecorded(logger, uid, e.Message);
                return Respond(review, new AdmissionResponse(uid, false, new AdmissionStatus(StatusCodes.Status503ServiceUnavailable,
                    $"attest denied {subject}: the decision could not be recorded in the ledger ({e.Message}) [ledger.unavailable]")));
            }
        }
        if (logger.IsEnabled(LogLevel.Information))
            AdmissionLog.Decided(logger, uid, subject, decision.Verdict.ToString(), images.Count, set.Revision, recorded.Length == 0 ? "none" : string.Join(',', recorded));
        return Respond(review, AdmissionResponses.From(uid, subject, decision));
    }

    private static async Task<IResult> MutateAsync(
        HttpContext context, ImagePinner pinner, IOptions<AdmissionOptions> options, KubernetesPullSecrets pullSecrets, ILoggerFactory loggers)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.Value.TimeoutSeconds));
        var (review, status, problem) = await AdmissionReviewReader.ReadAsync(context.Request, deadline.Token).ConfigureAwait(false);
        if (review is null) return Problem(status, problem!);
        var request = review.Request!;
        var logger = loggers.CreateLogger("Attest.Server.Admission");
        using var scope = AdmissionLog.Scope(logger, request.Uid!);

        // Only objects being created or changed carry images to pin; everything else passes untouched.
        if (request.Operation is not ("CREATE" or "UPDATE") || request.Object is not { ValueKind: JsonValueKind.Object } workload ||
            request.Kind?.Kind is not { } kind || WorkloadImages.PodSpecPath(kind) is null)
            return Respond(review, new AdmissionResponse(request.Uid!, true));

        if (!WorkloadImages.TryExtract(kind, workload, out var images, out var error))
            return Respond(review, new AdmissionResponse(request.Uid!, true, Warnings: [Truncate($"attest: images not pinned: {error}")]));
        if (request.Operation == "UPDATE" && WorkloadImages.ImagesUnchanged(kind, images, request.OldObject))
            return Respond(review, new AdmissionResponse(request.Uid!, true));

        var credentials = await pullSecrets.ForWorkloadAsync(kind, request.Namespace, workload, deadline.Token).ConfigureAwait(false);
        var result = await pinner.PinAsync(images, credentials, deadline.Token).ConfigureAwait(false);
        AdmissionLog.Pinned(logger, request.Uid!, kind, request.Namespace ?? "", result.Patches.Count, result.Warnings.Count);
        var warnings = result.Warnings.Count == 0 ? null : result.Warnings.Select(w => Truncate("attest: " + w)).ToList();
        if (result.Patches.Count == 0) return Respond(review, new AdmissionResponse(request.Uid!, true, Warnings: warnings));

        var patch = JsonSerializer.SerializeToUtf8Bytes(
            result.Patches.Select(p => new JsonPatchOperation("replace", p.Pointer, p.Image)).ToList(),
            AdmissionJsonContext.Default.ListJsonPatchOperation);
        return Respond(review, new AdmissionResponse(request.Uid!, true, Warnings: warnings, PatchType: "JSONPatch", Patch: Convert.ToBase64String(patch)));
    }

    internal static IResult Respond(AdmissionReviewRequest review, AdmissionResponse response) =>
        Results.Json(AdmissionReviewResponse.For(review, response), AdmissionJsonContext.Default.AdmissionReviewResponse);

    internal static IResult Problem(int status, string message) =>
        Results.Json(new AdmissionProblem(message), AdmissionJsonContext.Default.AdmissionProblem, statusCode: status);

    internal static string Truncate(string text)
    {
        if (text.Length <= AdmissionLimits.MaxWarningLength) return text;
        var builder = new StringBuilder(text, 0, AdmissionLimits.MaxWarningLength - 1, AdmissionLimits.MaxWarningLength);
        return builder.Append('…').ToString();
    }

    private static partial class AdmissionLog
    {
        [LoggerMessage(EventId = LogEvents.ImagesPinned, Level = LogLevel.Information, Message = "Mutate {Uid} {Kind} in {Namespace}: {Pinned} images pinned, {Unresolved} not resolved")]
        public static partial void Pinned(ILogger logger, string uid, string kind, string @namespace, int pinned, int unresolved);

        [LoggerMessage(EventId = LogEvents.AdmissionDecided, Level = LogLevel.Information, Message = "Validate {Uid} {Subject}: {Verdict} ({Images} images, policy revision {Revision}, ledger index {LedgerIndex})")]
        public static partial void Decided(ILogger logger, string uid, string subject, string verdict, int images, string revision, string ledgerIndex);

        /// <summary>Every line logged while a review is answered carries its uid (beside the trace and span ids).</summary>
        private static readonly Func<ILogger, string, IDisposable?> AdmissionScope = LoggerMessage.DefineScope<string>("Admission {AdmissionUid}");

        public static IDisposable? Scope(ILogger logger, string uid) => AdmissionScope(logger, uid);

        [LoggerMessage(EventId = LogEvents.DecisionNotRecorded, Level = LogLevel.Error, Message = "Validate {Uid}: decision not recorded in the ledger ({Error}); denied")]
        public static partial void NotRecorded(ILogger logger, string uid, string error);
    }
}
