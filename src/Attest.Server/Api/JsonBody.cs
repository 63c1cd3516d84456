using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Attest.Core.IO;

namespace Attest.Server.Api;

/// <summary>A request body read as <typeparamref name="T"/>, or the HTTP status and the sentence saying why it could not be.</summary>
public readonly record struct JsonBodyRead<T>(T? Value, int Status, string? Problem) where T : class;

/// <summary>Reads a size-bounded JSON request body into a source-generated type, or says precisely why it could not:
/// the one body reader of the API and the admission webhooks (which phrase the same problems in their own envelope).</summary>
public static class JsonBody
{
    /// <summary>The body as <typeparamref name="T"/>; problems name it as <paramref name="what"/> ("the request body",
    /// "AdmissionReview"): 415 for another media type, 413 beyond <paramref name="maxBytes"/>, 400 for JSON that is not
    /// of the expected shape (depth limits included) or is null.</summary>
    public static async Task<JsonBodyRead<T>> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, long maxBytes, string what, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentType is not { } contentType || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return new(null, StatusCodes.Status415UnsupportedMediaType,
                $"{what} must be sent as application/json (Content-Type: application/json), not {(request.ContentType is { Length: > 0 } given ? Shorten(given) : "without a Content-Type")}");
        if (request.ContentLength is long announced && announced > maxBytes)
            return new(null, StatusCodes.Status413PayloadTooLarge, $"{what} is {announced} bytes; at most {maxBytes} are accepted");
        var body = await BoundedRead.ReadAllAsync(request.Body, maxBytes, cancellationToken).ConfigureAwait(false);
        if (body is null) return new(null, StatusCodes.Status413PayloadTooLarge, $"{what} is larger than {maxBytes} bytes; at most {maxBytes} are accepted");
        // The serializer leaves the strings of JsonElement members (an AdmissionReview's workload objects) undecoded:
        // invalid UTF-8 there would surface later as an InvalidOperationException. Refuse it once, here.
        if (!System.Text.Unicode.Utf8.IsValid(body)) return new(null, StatusCodes.Status400BadRequest, $"{what} is not valid UTF-8");
        try
        {
            // Duplicate member names are refused: what is signed or decided must mean one thing to every reader.
            return JsonSerializer.Deserialize(body, Attest.Core.Json.StrictJson.Of(type)) is { } value
                ? new(value, StatusCodes.Status200OK, null)
                : new(null, StatusCodes.Status400BadRequest, $"{what} must be a JSON object, not null");
        }
        catch (JsonException e)
        {
            // The field and its JSON path in JSON's terms; never the .NET type behind the contract.
            return new(null, StatusCodes.Status400BadRequest, $"{what} {Attest.Core.Json.JsonErrors.Describe(e, type)}");
        }
    }

    /// <summary>The /v1 API's form: the value, or an RFC 9457 problem.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, long maxBytes)
        where T : class
    {
        var (value, status, problem) = await ReadAsync(request, type, maxBytes, "the request body", request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (value is not null) return (value, null);
        var title = status switch
        {
            StatusCodes.Status415UnsupportedMediaType => "unsupported media type",
            StatusCodes.Status413PayloadTooLarge => "request too large",
            _ => "invalid request",
        };
        return (null, ApiProblems.Create(status, title, problem!));
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;
}

/// <summary>RFC 9457 problem responses for the /v1 API.</summary>
public static class ApiProblems
{
    /// <summary>Declares the problems every endpoint that reads a request body can answer: 400 (unusable content),
    /// 413 (too large) and 415 (wrong media type).</summary>
    public static RouteHandlerBuilder ProducesBodyProblems(this RouteHandlerBuilder builder) =>
        builder.ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    public static IResult Create(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
