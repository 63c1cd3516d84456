using System.Collections.Concurrent;
using System.Net;

namespace Attest.Testing;

/// <summary>
/// A hostile front for a real registry: every request is forwarded to the registry as it came (method, headers, body,
/// and the Host header, so the registry's own locations name the proxy), and the test may rewrite each answer before it
/// goes back — an upload location or a redirect to another host, a token realm elsewhere. Distribution 2.8 cannot be
/// configured to send clients anywhere but itself; everything else here is the real registry's.
/// </summary>
public sealed class RegistryProxy(string upstream, Action<HttpListenerRequest, HttpResponseMessage>? rewrite = null)
    : LoopbackHttpServer(context => ForwardAsync(context, upstream, rewrite))
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
        { "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Expect", "Content-Length", "Content-Type", "Host" };

    private static async Task ForwardAsync(HttpListenerContext context, string upstream, Action<HttpListenerRequest, HttpResponseMessage>? rewrite)
    {
        var incoming = context.Request;
        using var request = new HttpRequestMessage(new HttpMethod(incoming.HttpMethod), $"http://{upstream}{incoming.RawUrl}");
        request.Headers.Host = incoming.UserHostName;
        if (incoming.HasEntityBody)
        {
            using var body = new MemoryStream();
            await incoming.InputStream.CopyToAsync(body).ConfigureAwait(false);
            request.Content = new ByteArrayContent(body.ToArray());
            if (incoming.ContentType is { } type) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        foreach (var name in incoming.Headers.AllKeys.OfType<string>().Where(n => !HopByHop.Contains(n)))
            request.Headers.TryAddWithoutValidation(name, incoming.Headers.GetValues(name) ?? []);

        using var response = await Http.SendAsync(request).ConfigureAwait(false);
        rewrite?.Invoke(incoming, response);
        var outgoing = context.Response;
        outgoing.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Where(h => !HopByHop.Contains(h.Key)))
            outgoing.Headers[name] = string.Join(", ", values);
        var content = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        if (response.Content.Headers.ContentType is { } contentType) outgoing.ContentType = contentType.ToString();
        if (incoming.HttpMethod == "HEAD")
        {
            outgoing.ContentLength64 = response.Content.Headers.ContentLength ?? 0;
            return;
        }
        outgoing.ContentLength64 = content.Length;
        await outgoing.OutputStream.WriteAsync(content).ConfigureAwait(false);
    }
}

/// <summary>A host nothing should reach (an internal service, in the attacks it stands for): it records every request
/// it gets, with the Authorization header it carried, and answers with a body an attacker would like to learn.</summary>
public sealed class Bystander : LoopbackHttpServer
{
    private readonly ConcurrentQueue<(string Method, string Path, string? Authorization)> _received;

    public Bystander()
        : this(new ConcurrentQueue<(string, string, string?)>())
    {
    }

    private Bystander(ConcurrentQueue<(string Method, string Path, string? Authorization)> received)
        : base(context => RecordAsync(context, received))
    {
        _received = received;
    }

    public IReadOnlyList<(string Method, string Path, string? Authorization)> Received => [.. _received];

    private static async Task RecordAsync(HttpListenerContext context, ConcurrentQueue<(string, string, string?)> received)
    {
        received.Enqueue((context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.Headers["Authorization"]));
        await WriteAsync(context, "internal secret: do not leak"u8.ToArray(), "application/json", status: context.Request.HttpMethod == "PUT" ? 201 : 200).ConfigureAwait(false);
    }
}
