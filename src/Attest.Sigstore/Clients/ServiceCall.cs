using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Attest.Core.IO;

namespace Attest.Sigstore.Clients;

/// <summary>One request to a Sigstore service with a bounded answer: a success body of at most the given size, or a
/// <see cref="SigstoreServiceException"/> carrying the service's own reason (RFC 9457 <c>detail</c>, Rekor's
/// <c>message</c>) on one line, or saying the service could not be reached in time. Used for every Sigstore and Attest
/// service call a client makes.</summary>
public static class ServiceCall
{
    private const int MaxReasonLength = 300;

    /// <exception cref="SigstoreServiceException">Refused (with the HTTP status), unreachable, too slow, or too large.</exception>
    public static async Task<byte[]> SendAsync(HttpClient http, HttpRequestMessage request, string service, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            return await ExchangeAsync(http, request, service, maxBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new SigstoreServiceException(service, null, $"cannot reach {request.RequestUri}: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SigstoreServiceException(service, null, $"{request.RequestUri} did not answer in time");
        }
    }

    private static async Task<byte[]> ExchangeAsync(HttpClient http, HttpRequestMessage request, string service, int maxBytes, CancellationToken cancellationToken)
    {
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var body = await BoundedRead.ReadAllAsync(stream, response.IsSuccessStatusCode ? maxBytes : 64 * 1024, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new SigstoreServiceException(service, status, $"{status} {Reason(body) ?? response.ReasonPhrase}");
        return body ?? throw new SigstoreServiceException(service, null, $"the answer is larger than {maxBytes} bytes");
    }

    public static HttpRequestMessage Json(HttpMethod method, Uri url, byte[] json)
    {
        var content = new ByteArrayContent(json);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Accept.ParseAdd("application/json");
        return request;
    }

    /// <summary>The service's reason: the problem's <c>detail</c> (or Rekor's <c>message</c>), else the start of the text.</summary>
    private static string? Reason(byte[]? body)
    {
        if (body is null || body.Length == 0) return null;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind == JsonValueKind.Object)
                foreach (var name in (string[])["detail", "message", "error_description", "title"])
                    if (document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                        return OneLine(value.GetString()!);
        }
        catch (JsonException)
        {
        }
        return OneLine(Encoding.UTF8.GetString(body));
    }

    public static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return line.Length <= MaxReasonLength ? line : line[..MaxReasonLength] + "…";
    }

    /// <summary>A JSON document of a service's answer; a malformed one is the service's fault.</summary>
    public static JsonDocument ParseJson(byte[] body, string service)
    {
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new SigstoreServiceException(service, null, $"the answer is not JSON ({e.Message})");
        }
    }

    /// <summary><paramref name="baseUrl"/> with <paramref name="path"/> appended (the base may or may not end in '/').</summary>
    public static Uri Combine(Uri baseUrl, string path) => new(baseUrl.AbsoluteUri.TrimEnd('/') + "/" + path.TrimStart('/'));
}
