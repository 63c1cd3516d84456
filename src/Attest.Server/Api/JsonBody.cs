using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Attest.Server.Api;

/// <summary>Reads a size-bounded JSON request body into a source-generated type, or says precisely why it could not.</summary>
public static class JsonBody
{
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, long maxBytes)
        where T : class
    {
        if (request.ContentType is not { } contentType || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, ApiProblems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported media type", "the request body must be application/json"));
        if (request.ContentLength > maxBytes)
            return (null, TooLarge(maxBytes));
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes) return (null, TooLarge(maxBytes));
            buffer.Write(chunk, 0, read);
        }
        try
        {
            // Duplicate member names are refused: what is signed or decided must mean one thing to every reader.
            var value = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Attest.Core.Json.StrictJson.Of(type));
            return value is null
                ? (null, ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid request", "the request body must be a JSON object, not null"))
                : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 0 } path ? $" at {path}" : "";
            return (null, ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid request", $"the request body is not valid JSON of the expected shape{where}: {FirstSentence(e.Message)}"));
        }
    }

    private static IResult TooLarge(long maxBytes) =>
        ApiProblems.Create(StatusCodes.Status413PayloadTooLarge, "request too large", $"the request body is larger than {maxBytes} bytes");

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message.TrimEnd('.') : message[..end];
    }
}

/// <summary>RFC 7807 problem responses for the /v1 API.</summary>
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
