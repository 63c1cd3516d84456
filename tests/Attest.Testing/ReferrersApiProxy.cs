using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;

namespace Attest.Testing;

/// <summary>
/// The OCI 1.1 referrers API in front of a real registry that lacks it (Distribution 2.8), for tests of the client's
/// API branch. Every request is forwarded to the registry unchanged, except:
/// <list type="bullet">
/// <item><c>PUT /v2/&lt;name&gt;/manifests/&lt;reference&gt;</c> of a manifest with a <c>subject</c>: once the registry has
/// stored it, the proxy records it as a referrer and answers with <c>OCI-Subject</c>, as a registry with the API does
/// (so clients do not maintain the tag-schema fallback index);</item>
/// <item><c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;</c>: answered from the manifests recorded, as distribution-spec 1.1
/// "Listing Referrers" says: an image index of descriptors (artifactType from the manifest, else its config media
/// type; the manifest's annotations), an empty list rather than 404, <c>artifactType</c> filtering with
/// <c>OCI-Filters-Applied</c>, and pages of <see cref="PageSize"/> linked by <c>Link: &lt;…&gt;; rel="next"</c>.</item>
/// </list>
/// Hostile modes make it a registry that lists what it should not: endless pages, or referrers whose manifests name
/// another subject.
/// </summary>
public sealed class ReferrersApiProxy : IAsyncDisposable
{
    private const long MaxBodyBytes = 64L << 20;
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly Uri _upstreamBase;
    private readonly ConcurrentDictionary<(string Repository, string Subject), ConcurrentDictionary<string, JsonObject>> _referrers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private int _referrerRequests;

    public ReferrersApiProxy(string upstreamHost)
    {
        _upstreamBase = new Uri($"http://{upstreamHost}/");
        for (var attempt = 0; ; attempt++)
        {
            var port = RigProcess.FreeLoopbackPort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                Host = $"127.0.0.1:{port}";
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _serving = Task.Run(ServeAsync);
    }

    /// <summary><c>127.0.0.1:PORT</c> of the proxy, as image references spell it.</summary>
    public string Host { get; } = "";

    /// <summary>Descriptors per referrers page.</summary>
    public int PageSize { get; set; } = 2;

    /// <summary>Every page links to a further one (after the recorded referrers, pages of nothing), for ever.</summary>
    public bool EndlessPages { get; set; }

    /// <summary>Referrers API requests answered so far.</summary>
    public int ReferrerRequests => Volatile.Read(ref _referrerRequests);

    /// <summary>Lists the manifest <paramref name="referrer"/> (already in the registry) among the referrers of
    /// <paramref name="subject"/>, whatever subject the manifest itself names.</summary>
    public void ListAsReferrer(string repository, Digest subject, Digest referrer, string artifactType, long size) =>
        _referrers.GetOrAdd((repository, subject.ToString()), _ => new()).TryAdd(referrer.ToString(), new JsonObject
        {
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["digest"] = referrer.ToString(),
            ["size"] = size,
            ["artifactType"] = artifactType,
        });

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await HandleAsync(context).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException or HttpRequestException)
                {
                    // the client went away, or the registry is stopping
                }
                finally
                {
                    try
                    {
                        context.Response.Close();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                    {
                    }
                }
            });
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath;
        var referrers = path.IndexOf("/referrers/", StringComparison.Ordinal);
        if (request.HttpMethod == "GET" && path.StartsWith("/v2/", StringComparison.Ordinal) && referrers > 0)
        {
            Interlocked.Increment(ref _referrerRequests);
            await ListAsync(context, path["/v2/".Length..referrers], path[(referrers + "/referrers/".Length)..]).ConfigureAwait(false);
            return;
        }

        var body = await ReadAsync(request.InputStream).ConfigureAwait(false);
        using var forwarded = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_upstreamBase, request.Url.PathAndQuery));
        foreach (var name in request.Headers.AllKeys.OfType<string>())
        {
            if (name is "Host" or "Connection" or "Transfer-Encoding" or "Content-Length" || name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)) continue;
            forwarded.Headers.TryAddWithoutValidation(name, request.Headers.GetValues(name) ?? []);
        }
        // The registry builds upload locations from Host: keep them pointing at the proxy.
        forwarded.Headers.Host = Host;
        if (body.Length > 0 || request.HttpMethod is "PUT" or "POST" or "PATCH")
        {
            forwarded.Content = new ByteArrayContent(body);
            if (request.ContentType is { } type) forwarded.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        using var response = await _upstream.SendAsync(forwarded, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        var answer = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);

        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name is "Transfer-Encoding" or "Connection" or "Content-Length") continue;
            foreach (var value in values) context.Response.AppendHeader(name, value);
        }
        if (request.HttpMethod == "PUT" && response.StatusCode == HttpStatusCode.Created && path.Contains("/manifests/", StringComparison.Ordinal) &&
            Record(path["/v2/".Length..path.IndexOf("/manifests/", StringComparison.Ordinal)], body) is { } subject)
            context.Response.AppendHeader("OCI-Subject", subject);
        context.Response.ContentLength64 = answer.Length;
        if (request.HttpMethod != "HEAD") await context.Response.OutputStream.WriteAsync(answer).ConfigureAwait(false);
    }

    /// <summary>Records a stored manifest that names a subject; returns the subject's digest, or null.</summary>
    private string? Record(string repository, byte[] manifest)
    {
        JsonObject? document;
        try
        {
            document = JsonNode.Parse(manifest) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
        if (document?["subject"]?["digest"]?.GetValue<string>() is not { } subject) return null;
        var descriptor = new JsonObject
        {
            ["mediaType"] = document["mediaType"]?.GetValue<string>() ?? "application/vnd.oci.image.manifest.v1+json",
            ["digest"] = Digest.Sha256(manifest).ToString(),
            ["size"] = manifest.Length,
        };
        // Listing Referrers: artifactType of the manifest, else its config's media type (omitted for an index without one).
        if ((document["artifactType"]?.GetValue<string>() ?? document["config"]?["mediaType"]?.GetValue<string>()) is { } artifactType)
            descriptor["artifactType"] = artifactType;
        if (document["annotations"] is JsonObject annotations) descriptor["annotations"] = annotations.DeepClone();
        _referrers.GetOrAdd((repository, subject), _ => new())[descriptor["digest"]!.GetValue<string>()] = descriptor;
        return subject;
    }

    private async Task ListAsync(HttpListenerContext context, string repository, string subject)
    {
        var query = System.Web.HttpUtility.ParseQueryString(context.Request.Url!.Query);
        if (!Digest.TryParse(subject, out _, out _))
        {
            context.Response.StatusCode = 400;
            return;
        }
        var all = _referrers.TryGetValue((repository, subject), out var recorded)
            ? recorded.Values.OrderBy(d => d["digest"]!.GetValue<string>(), StringComparer.Ordinal).ToList()
            : [];
        if (query["artifactType"] is { } filter)
        {
            all = all.Where(d => d["artifactType"]?.GetValue<string>() == filter).ToList();
            context.Response.AppendHeader("OCI-Filters-Applied", "artifactType");
        }
        var page = int.TryParse(query["page"], out var p) ? p : 0;
        var slice = all.Skip(page * PageSize).Take(PageSize).Select(d => d.DeepClone()).ToArray();
        if (EndlessPages || all.Count > (page + 1) * PageSize)
        {
            var next = $"/v2/{repository}/referrers/{subject}?page={page + 1}" + (query["artifactType"] is { } t ? "&artifactType=" + Uri.EscapeDataString(t) : "");
            context.Response.AppendHeader("Link", $"<{next}>; rel=\"next\"");
        }
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(slice),
        };
        var body = System.Text.Encoding.UTF8.GetBytes(index.ToJsonString());
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/vnd.oci.image.index.v1+json";
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadAsync(Stream body) =>
        await Attest.Core.IO.BoundedRead.ReadAllAsync(body, MaxBodyBytes).ConfigureAwait(false)
            ?? throw new IOException($"request body larger than {MaxBodyBytes} bytes");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Close();
        await _serving.ConfigureAwait(false);
        _upstream.Dispose();
        _stop.Dispose();
    }
}
