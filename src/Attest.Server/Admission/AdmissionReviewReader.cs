using Attest.Server.Api;
using Attest.Server.Telemetry;

namespace Attest.Server.Admission;

/// <summary>Reads an AdmissionReview body (the shared <see cref="JsonBody"/> reader: size cap, media type, depth) and
/// checks its envelope. Problems come back as a sentence, never as an exception, so a hostile body gets a clear 400, 413
/// or 415 and nothing else.</summary>
internal static class AdmissionReviewReader
{
    public static async Task<(AdmissionReviewRequest? Review, int Status, string? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var activity = AttestInstruments.Source.StartActivity("admission.read");
        var (review, status, problem) = await JsonBody.ReadAsync(request, AdmissionJsonContext.Default.AdmissionReviewRequest,
            AdmissionLimits.MaxRequestBytes, "AdmissionReview", cancellationToken).ConfigureAwait(false);
        if (review is null) return (null, status, problem);
        // v1beta1 has the same shape; the API server requires the answer in the version it asked in.
        if (review.ApiVersion is not ("admission.k8s.io/v1" or "admission.k8s.io/v1beta1") || review.Kind != "AdmissionReview")
            return (null, StatusCodes.Status400BadRequest, $"expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got '{review.ApiVersion}' '{review.Kind}'");
        if (review.Request is null) return (null, StatusCodes.Status400BadRequest, "AdmissionReview has no request");
        if (string.IsNullOrEmpty(review.Request.Uid)) return (null, StatusCodes.Status400BadRequest, "AdmissionReview request has no uid");
        AdmissionTelemetry.Read(request.HttpContext, review);
        return (review, StatusCodes.Status200OK, null);
    }
}
