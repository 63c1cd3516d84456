using System.Globalization;
using System.Text;
using Attest.GoModules;
using Attest.GoModules.SumDb;
using Attest.Ledger;
using Microsoft.OpenApi;

namespace Attest.Server.SumDb;

/// <summary>
/// The checksum database as the go command reads it, without a token (as sum.golang.org is read): <c>/sumdb/latest</c>,
/// <c>/sumdb/lookup/&lt;path&gt;@&lt;version&gt;</c> and <c>/sumdb/tile/8/L/N[.p/W]</c> (height-8 hash tiles;
/// <c>L = data</c> for record data), so <c>GOSUMDB="&lt;key&gt; &lt;server&gt;/sumdb"</c> works; the same under
/// <c>/sumdb/&lt;name&gt;/…</c> with <c>/sumdb/&lt;name&gt;/supported</c>, so a GOPROXY list that names this server reaches the
/// database as a proxied one; and <c>GET /v1/sumdb/verifier-key</c>. Errors are one line of text/plain, which the go
/// command prints after "server response:"; a database name this server does not serve is 404, so the go command
/// falls through to its next proxy.
/// </summary>
public static class SumDbEndpoints
{
    public const string Tag = "sumdb";

    private const string TextPlain = "text/plain; charset=utf-8";

    /// <summary>The longest tile path the protocol produces is far shorter (<c>tile/8/7/x123/…/456.p/255</c>).</summary>
    private const int MaxTilePathLength = 128;

    public static void MapSumDbEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/sumdb/latest", (SumDbService service, CancellationToken cancellationToken) => LatestAsync(service, cancellationToken))
            .WithName("SumDbLatest").WithTags(Tag)
            .Produces<string>(StatusCodes.Status200OK, "text/plain");

        endpoints.MapGet("/sumdb/lookup/{**module}", (string? module, SumDbService service, CancellationToken cancellationToken) =>
                LookupAsync(module ?? "", service, cancellationToken))
            .WithName("SumDbLookup").WithTags(Tag)
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .Produces<string>(StatusCodes.Status400BadRequest, "text/plain")
            .Produces<string>(StatusCodes.Status404NotFound, "text/plain")
            .Produces<string>(StatusCodes.Status502BadGateway, "text/plain")
            .Produces<string>(StatusCodes.Status503ServiceUnavailable, "text/plain");

        endpoints.MapGet("/sumdb/tile/{**tile}", (string? tile, SumDbService service, CancellationToken cancellationToken) =>
                TileAsync(tile ?? "", service, cancellationToken))
            .WithName("SumDbTile").WithTags(Tag)
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .Produces<string>(StatusCodes.Status400BadRequest, "text/plain")
            .Produces<string>(StatusCodes.Status404NotFound, "text/plain");

        endpoints.MapGet("/sumdb/{**path}", (string? path, SumDbService service, CancellationToken cancellationToken) =>
                ProxiedAsync(path ?? "", service, cancellationToken))
            .WithName("SumDbProxied").WithTags(Tag)
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .Produces<string>(StatusCodes.Status400BadRequest, "text/plain")
            .Produces<string>(StatusCodes.Status404NotFound, "text/plain")
            .Produces<string>(StatusCodes.Status502BadGateway, "text/plain")
            .Produces<string>(StatusCodes.Status503ServiceUnavailable, "text/plain");

        endpoints.MapGet("/v1/sumdb/verifier-key", (HttpContext context, SumDbService service, CancellationToken cancellationToken) =>
                VerifierKeyAsync(context, service, cancellationToken))
            .WithName("SumDbVerifierKey").WithTags(Tag)
            .Produces<SumDbKeyResponse>(StatusCodes.Status200OK);
    }

    private static async Task<IResult> LatestAsync(SumDbService service, CancellationToken cancellationToken)
    {
        var head = await service.Log.LatestAsync(cancellationToken).ConfigureAwait(false);
        return NoStore(Results.Text(head.Note, TextPlain, Encoding.UTF8));
    }

    private static async Task<IResult> LookupAsync(string module, SumDbService service, CancellationToken cancellationToken)
    {
        if (!SumDbModule.TryParseLookup(module, GoModulesLimits.Default, out var version, out var error))
            return Text(StatusCodes.Status400BadRequest, $"invalid lookup: {error}");
        var outcome = await service.LookupAsync(version, cancellationToken).ConfigureAwait(false);
        return outcome.Status switch
        {
            LookupStatus.Found => NoStore(Results.Bytes(Record(outcome.Row!.Index, outcome.Row.Text, outcome.Head!.Note), TextPlain)),
            LookupStatus.UpstreamFailed => Text(StatusCodes.Status502BadGateway, $"not found: {outcome.Reason}"),
            LookupStatus.Busy => RetryLater(outcome.Reason!),
            _ => Text(StatusCodes.Status404NotFound, $"not found: {outcome.Reason}"),
        };
    }

    /// <summary>x/mod <c>tlog.FormatRecord</c> followed by the signed tree head: the record id, the record text, a blank
    /// line, the note.</summary>
    private static byte[] Record(long index, byte[] text, string note)
    {
        var id = Encoding.ASCII.GetBytes(index.ToString(CultureInfo.InvariantCulture) + "\n");
        return [.. id, .. text, (byte)'\n', .. Encoding.UTF8.GetBytes(note)];
    }

    private static async Task<IResult> TileAsync(string tile, SumDbService service, CancellationToken cancellationToken)
    {
        var path = "tile/" + tile;
        if (path.Length > MaxTilePathLength || !SumDbTile.TryParsePath(path, out var parsed))
            return Text(StatusCodes.Status400BadRequest, "invalid tile path: expected tile/H/L/NNN[.p/W] with N in 3-digit groups and 1 ≤ W < 2^H");
        if (parsed.Height != SumDbTile.GoHeight)
            return Text(StatusCodes.Status404NotFound, $"not found: this checksum database serves tiles of height {SumDbTile.GoHeight}, not {parsed.Height}");
        var data = parsed.Level < 0
            ? await service.Log.ReadDataTileAsync(parsed.Index, parsed.Width, cancellationToken).ConfigureAwait(false)
            : await service.Log.ReadHashTileAsync(parsed.Level, parsed.Index, parsed.Width, cancellationToken).ConfigureAwait(false);
        if (data is null)
        {
            var head = await service.Log.LatestAsync(cancellationToken).ConfigureAwait(false);
            return Text(StatusCodes.Status404NotFound, $"not found: {path} is beyond the signed tree of size {head.Size}");
        }
        // The content of a tile (of a given width) never changes: caches may keep it.
        return new HeaderResult(Results.Bytes(data, parsed.Level < 0 ? TextPlain : "application/octet-stream"), "public, max-age=86400, immutable");
    }

    /// <summary><c>/sumdb/&lt;name&gt;/supported</c> and <c>/sumdb/&lt;name&gt;/&lt;protocol path&gt;</c>: the database as a
    /// GOPROXY serves a proxied one. Other names are 404, which tells the go command to try its next proxy.</summary>
    private static Task<IResult> ProxiedAsync(string path, SumDbService service, CancellationToken cancellationToken)
    {
        var prefix = service.Options.Name + "/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
            return Task.FromResult(Text(StatusCodes.Status404NotFound, $"not found: this server proxies only the checksum database {service.Options.Name}"));
        var rest = path[prefix.Length..];
        return rest switch
        {
            "supported" => Task.FromResult(Results.Text("", TextPlain)),
            "latest" => LatestAsync(service, cancellationToken),
            _ when rest.StartsWith("lookup/", StringComparison.Ordinal) => LookupAsync(rest["lookup/".Length..], service, cancellationToken),
            _ when rest.StartsWith("tile/", StringComparison.Ordinal) => TileAsync(rest["tile/".Length..], service, cancellationToken),
            _ => Task.FromResult(Text(StatusCodes.Status404NotFound, $"not found: {service.Options.Name} has no {Clip(rest)}")),
        };
    }

    private static async Task<IResult> VerifierKeyAsync(HttpContext context, SumDbService service, CancellationToken cancellationToken)
    {
        var head = await service.Log.LatestAsync(cancellationToken).ConfigureAwait(false);
        var key = service.Log.VerifierKey.ToString();
        // As this request reached the server; behind a proxy, the address clients use may differ.
        var url = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/sumdb";
        return Results.Json(new SumDbKeyResponse(service.Options.Name, key, url, $"{key} {url}", service.Options.Patterns, service.Options.Upstream is not null, head.Size),
            SumDbJsonContext.Default.SumDbKeyResponse);
    }

    private static IResult Text(int status, string message) => Results.Text(message + "\n", TextPlain, Encoding.UTF8, status);

    private static IResult RetryLater(string message) => new HeaderResult(Text(StatusCodes.Status503ServiceUnavailable, message), "no-store", retryAfterSeconds: 5);

    private static IResult NoStore(IResult result) => new HeaderResult(result, "no-cache");

    private static string Clip(string text) => text.Length <= 80 ? text : text[..80] + "…";

    /// <summary>A result with a Cache-Control header (and Retry-After, when given).</summary>
    private sealed class HeaderResult(IResult inner, string cacheControl, int? retryAfterSeconds = null) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.CacheControl = cacheControl;
            if (retryAfterSeconds is { } seconds) httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
