using System.Diagnostics;
using System.Text.RegularExpressions;
using Attest.Policy.Admission;
using Attest.Policy.Evaluation;
using Attest.Policy.Model;
using Attest.Server.Admission;

namespace Attest.Server.Telemetry;

/// <summary>
/// The span and the measurements of one AdmissionReview: an endpoint filter around each webhook times the whole answer
/// and classifies it by what is sent back (allowed, warned, denied), so every way out of the handler is counted the
/// same; the reason code is the decision's (<see cref="Decided"/>) or, for a denial made around it, the code its message
/// ends with. The request's kind and operation come from the reader.
/// </summary>
internal static partial class AdmissionTelemetry
{
    private static readonly object ReviewKey = new();
    private static readonly object DecisionKey = new();

    /// <summary>Times, traces and counts every answer of the webhook the builder maps.</summary>
    public static RouteHandlerBuilder WithAdmissionTelemetry(this RouteHandlerBuilder builder, string webhook) =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            using var activity = AttestInstruments.Source.StartActivity(webhook == "validate" ? "admission.validate" : "admission.mutate");
            var started = Stopwatch.GetTimestamp();
            var result = await next(context).ConfigureAwait(false);
            var items = context.HttpContext.Items;
            var request = (items[ReviewKey] as AdmissionReviewRequest)?.Request;
            // The decision's verdict and first reason when the answer is the decision (a warning is an allowed answer);
            // otherwise (a ledger failure after deciding, an answer before it) what the answer says.
            var allowed = result is IValueHttpResult { Value: AdmissionReviewResponse { Response.Allowed: true } };
            var (verdict, reason) = items[DecisionKey] is (string decidedVerdict, string decidedReason) && (decidedVerdict == "deny") != allowed
                ? (decidedVerdict, decidedReason)
                : Classify(result);
            var kind = request?.Kind?.Kind is { } k && WorkloadImages.PodSpecPath(k) is not null ? k : "other";
            var operation = request?.Operation is "CREATE" or "UPDATE" or "DELETE" or "CONNECT" ? request.Operation : "other";
            AttestInstruments.AdmissionAnswered(webhook, operation, kind, verdict, reason, Stopwatch.GetElapsedTime(started).TotalSeconds);
            if (activity is not null)
            {
                activity.SetTag("attest.admission.uid", request?.Uid);
                activity.SetTag("attest.admission.kind", kind);
                activity.SetTag("attest.admission.operation", operation);
                activity.SetTag("attest.verdict", verdict);
                activity.SetTag("attest.reason", reason);
            }
            return result;
        });

    /// <summary>Called by the reader once the review is known, for the filter to label the answer with.</summary>
    public static void Read(HttpContext context, AdmissionReviewRequest review) => context.Items[ReviewKey] = review;

    /// <summary>Called once the workload is decided: the verdict and the reason code that labels it (the first reason of
    /// the first image with that verdict, enforced failures first).</summary>
    public static void Decided(HttpContext context, Decision decision)
    {
        var verdict = decision.Verdict.ToString().ToLowerInvariant();
        var reason = "none";
        if (decision.Verdict != Verdict.Allow && decision.Images.FirstOrDefault(i => i.Verdict == decision.Verdict) is { } image)
            reason = (image.Reasons.FirstOrDefault() ?? image.Outcomes
                .Where(o => !o.Passed && o.Mode != PolicyMode.Audit)
                .OrderBy(o => o.Mode == PolicyMode.Enforce ? 0 : 1)
                .SelectMany(o => o.Reasons).FirstOrDefault())?.Code ?? "unspecified";
        context.Items[DecisionKey] = (verdict, reason);
    }

    /// <summary>allow, deny, or invalid (a problem instead of a review); a denial Attest made before or after
    /// deciding (an unreadable workload, the ledger) ends its message with its <c>[reason.code]</c>.</summary>
    internal static (string Verdict, string Reason) Classify(object? result) => result switch
    {
        IValueHttpResult { Value: AdmissionReviewResponse { Response: var response } } => response.Allowed
            ? ("allow", "none")
            : ("deny", TrailingCode(response.Status?.Message)),
        IStatusCodeHttpResult { StatusCode: var status } => ("invalid", status switch
        {
            StatusCodes.Status413PayloadTooLarge => "request.too-large",
            StatusCodes.Status415UnsupportedMediaType => "request.media-type",
            _ => "request.invalid",
        }),
        _ => ("invalid", "request.invalid"),
    };

    private static string TrailingCode(string? message) =>
        message is not null && ReasonCode().Match(message) is { Success: true } match ? match.Groups[1].Value : "unspecified";

    [GeneratedRegex(@"\[([a-z][a-z0-9]*(?:[.-][a-z0-9]+)*)\]\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex ReasonCode();
}
