using System.Net;

namespace Attest.Oci;

/// <summary>
/// The one egress check every registry request goes through, hop by hop. Registries choose where Attest goes next
/// (a redirect to blob storage, an upload <c>Location</c>, a token realm), so the check sits in the HTTP handler, below
/// every call site: each URI — the first and every redirect target — must name a host
/// <see cref="RegistryClientOptions.IsAllowed"/> permits (compared in canonical form); redirects are followed here,
/// at most <see cref="OciLimits.MaxRedirects"/>, and never from HTTPS to plain HTTP; and an <c>Authorization</c> header
/// goes only to the origin it was issued for (<see cref="AuthorizedOrigin"/>), never along a redirect or an upload
/// location to another host. Link-local addresses are refused below this, where connections are made (the DNS answer
/// is what counts).
/// </summary>
public sealed class EgressHandler : DelegatingHandler
{
    /// <summary>The origin (scheme, host, port) the request's <c>Authorization</c> header belongs to. A request sent
    /// anywhere else, first or after a redirect, goes without it. Absent: the header goes only to the first URI.</summary>
    public static readonly HttpRequestOptionsKey<Uri> AuthorizedOrigin = new("attest.egress.authorized-origin");

    private readonly RegistryClientOptions _options;

    public EgressHandler(RegistryClientOptions options, HttpMessageHandler inner)
        : base(inner)
    {
        _options = options;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new ArgumentException("the request has no URI", nameof(request));
        if (!request.Options.TryGetValue(AuthorizedOrigin, out var authorized)) authorized = uri;
        var current = request;
        for (var hop = 0; ; hop++)
        {
            var target = current.RequestUri!;
            Check(target);
            if (current.Headers.Authorization is not null && !SameOrigin(target, authorized)) current.Headers.Authorization = null;
            var response = await base.SendAsync(current, cancellationToken).ConfigureAwait(false);
            if (!IsRedirect(response.StatusCode) || response.Headers.Location is not { } location) return response;
            response.Dispose();
            if (hop >= OciLimits.MaxRedirects)
                throw new RegistryException(RegistryCodes.Rejected, $"{Describe(uri)} redirected more than {OciLimits.MaxRedirects} times");
            var next = new Uri(target, location);
            if (target.Scheme == Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttps)
                throw new RegistryException(RegistryCodes.NotAllowed, $"{Describe(uri)} redirected from HTTPS to {next.Scheme}, which Attest does not follow");
            current = Follow(current, next, response.StatusCode);
        }
    }

    /// <summary>Refuses a URI whose host the options do not allow (and any scheme but HTTP(S)).</summary>
    private void Check(Uri uri)
    {
        if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            throw new RegistryException(RegistryCodes.NotAllowed, $"{Describe(uri)}: only HTTP(S) is followed");
        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}"; // Uri.Host keeps an IPv6 literal's brackets
        if (!_options.IsAllowed(host))
            throw new RegistryException(RegistryCodes.NotAllowed, $"{Describe(uri)} is not a host Attest may contact (Attest:Registries:Allowed)");
    }

    /// <summary>The request for the next hop: 303 (and 301/302 after POST, as browsers do) become a GET without a body;
    /// 307/308 repeat the method and body.</summary>
    private static HttpRequestMessage Follow(HttpRequestMessage previous, Uri next, HttpStatusCode status)
    {
        var toGet = status == HttpStatusCode.SeeOther || (status is HttpStatusCode.Moved or HttpStatusCode.Found && previous.Method == HttpMethod.Post);
        var method = toGet && previous.Method != HttpMethod.Head ? HttpMethod.Get : previous.Method;
        var request = new HttpRequestMessage(method, next) { Version = previous.Version, VersionPolicy = previous.VersionPolicy };
        foreach (var header in previous.Headers) request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        if (!toGet && previous.Content is not null) request.Content = previous.Content;
        foreach (var option in previous.Options) ((IDictionary<string, object?>)request.Options)[option.Key] = option.Value;
        return request;
    }

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
        or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && a.Port == b.Port && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase);

    /// <summary>Scheme, host and path only: a query may carry an upload session or a storage signature.</summary>
    private static string Describe(Uri uri) => uri.GetLeftPart(UriPartial.Path);
}
