using System.Text.Json;

namespace Attest.Server.Admission;

/// <summary>Reads an AdmissionReview body with a size cap and checks its envelope. Problems come back as a
/// sentence, never as an exception, so a hostile body gets a clear 400 or 413 and nothing else.</summary>
internal static class AdmissionReviewReader
{
    public static async Task<(AdmissionReviewRequest? Review, int Status, string? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is long announced && announced > AdmissionLimits.MaxRequestBytes)
            return (null, StatusCodes.Status413PayloadTooLarge, $"AdmissionReview is {announced} bytes; at most {AdmissionLimits.MaxRequestBytes} are accepted");
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, StatusCodes.Status415UnsupportedMediaType, "AdmissionReview must be sent as application/json");

        byte[] body;
        using (var buffer = new MemoryStream())
        {
            var chunk = new byte[16 << 10];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > AdmissionLimits.MaxRequestBytes)
                    return (null, StatusCodes.Status413PayloadTooLarge, $"AdmissionReview is larger than {AdmissionLimits.MaxRequestBytes} bytes");
                buffer.Write(chunk, 0, read);
            }
            body = buffer.ToArray();
        }

        // The serializer leaves the strings of JsonElement members (the workload objects) undecoded: invalid UTF-8
        // there surfaced later, as an InvalidOperationException (a 500) when an image was read. Refuse it once, here.
        if (!System.Text.Unicode.Utf8.IsValid(body))
            return (null, StatusCodes.Status400BadRequest, "AdmissionReview is not valid UTF-8");

        AdmissionReviewRequest? review;
        try
        {
            review = JsonSerializer.Deserialize(body, AdmissionJsonContext.Default.AdmissionReviewRequest);
        }
        catch (JsonException e)
        {
            return (null, StatusCodes.Status400BadRequest, $"AdmissionReview is not valid JSON: {e.Message}");
        }
        if (review is null) return (null, StatusCodes.Status400BadRequest, "AdmissionReview is empty");
        // v1beta1 has the same shape; the API server requires the answer in the version it asked in.
        if (review.ApiVersion is not ("admission.k8s.io/v1" or "admission.k8s.io/v1beta1") || review.Kind != "AdmissionReview")
            return (null, StatusCodes.Status400BadRequest, $"expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got '{review.ApiVersion}' '{review.Kind}'");
        if (review.Request is null) return (null, StatusCodes.Status400BadRequest, "AdmissionReview has no request");
        if (string.IsNullOrEmpty(review.Request.Uid)) return (null, StatusCodes.Status400BadRequest, "AdmissionReview request has no uid");
        return (review, StatusCodes.Status200OK, null);
    }
}
