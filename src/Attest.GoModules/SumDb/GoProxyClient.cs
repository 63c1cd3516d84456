using System.Net;

namespace Attest.GoModules.SumDb;

/// <summary>What fetching a module zip from a module proxy gave: the zip (in a file the caller owns), a proxy that
/// does not have it (404/410), or a failure with the reason.</summary>
public sealed record GoProxyFetch(GoProxyFetchStatus Status, string? Reason = null);

public enum GoProxyFetchStatus
{
    Fetched,
    NotFound,
    Failed,
}

/// <summary>
/// Fetches module zips from a module proxy (the GOPROXY protocol: <c>&lt;base&gt;/&lt;escaped path&gt;/@v/&lt;escaped
/// version&gt;.zip</c>) into a file, bounded in size and time. Redirects are followed by hand, at most
/// <see cref="MaxRedirects"/>, and every hop (the first included) must pass <c>checkHop</c>, the caller's egress rule,
/// so a proxy cannot send the server somewhere it may not go.
/// </summary>
public sealed class GoProxyClient(HttpClient http, Uri baseUrl, Func<Uri, string?> checkHop, GoModulesLimits? limits = null)
{
    public const int MaxRedirects = 5;

    private readonly GoModulesLimits _limits = limits ?? GoModulesLimits.Default;

    public Uri BaseUrl => baseUrl;

    /// <summary>The zip URL of <paramref name="module"/> under this proxy.</summary>
    public Uri ZipUrl(ModuleVersion module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var path = ModulePath.Escape(module.Path) ?? throw new ArgumentException($"{module.Path} is not a module path", nameof(module));
        var version = ModulePath.EscapeVersion(module.Version) ?? throw new ArgumentException($"{module.Version} is not a version", nameof(module));
        return new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/" + path + "/@v/" + version + ".zip");
    }

    /// <summary>Downloads the zip of <paramref name="module"/> into <paramref name="destination"/> (created or replaced).</summary>
    public async Task<GoProxyFetch> FetchZipAsync(ModuleVersion module, string destination, CancellationToken cancellationToken = default)
    {
        var url = ZipUrl(module);
        try
        {
            for (var hop = 0; ; hop++)
            {
                if (checkHop(url) is { } refused) return new GoProxyFetch(GoProxyFetchStatus.Failed, refused);
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if (IsRedirect(response.StatusCode))
                {
                    if (hop >= MaxRedirects) return new GoProxyFetch(GoProxyFetchStatus.Failed, $"{baseUrl} redirected more than {MaxRedirects} times");
                    if (response.Headers.Location is not { } location) return new GoProxyFetch(GoProxyFetchStatus.Failed, $"{url} redirected without a Location");
                    url = location.IsAbsoluteUri ? location : new Uri(url, location);
                    continue;
                }
                if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone) return new GoProxyFetch(GoProxyFetchStatus.NotFound);
                if (!response.IsSuccessStatusCode)
                    return new GoProxyFetch(GoProxyFetchStatus.Failed, $"{url.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode}");
                var limit = _limits.MaxZipFileBytes;
                if (response.Content.Headers.ContentLength > limit)
                    return new GoProxyFetch(GoProxyFetchStatus.Failed, $"the module zip is larger than {limit} bytes");
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using var file = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                var buffer = new byte[1 << 16];
                long total = 0;
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > limit) return new GoProxyFetch(GoProxyFetchStatus.Failed, $"the module zip is larger than {limit} bytes");
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                return new GoProxyFetch(GoProxyFetchStatus.Fetched);
            }
        }
        catch (HttpRequestException e)
        {
            return new GoProxyFetch(GoProxyFetchStatus.Failed, $"{url.GetLeftPart(UriPartial.Authority)} cannot be reached: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new GoProxyFetch(GoProxyFetchStatus.Failed, $"{url.GetLeftPart(UriPartial.Authority)} did not answer in time");
        }
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;
}
