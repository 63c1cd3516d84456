using System.Collections.Frozen;
using System.Reflection;

namespace Attest.Server.Audit;

/// <summary>
/// The read-only auditors' page at <c>/audit/</c>: HTML, JavaScript and CSS embedded in this assembly (no CDN, no
/// framework), served with a strict Content-Security-Policy: scripts and styles only from this origin, no inline
/// script, API calls only to this origin, no framing. Everything it shows comes from the ledger API with the
/// auditor's token; the page itself holds nothing secret, so it needs none.
/// </summary>
internal static class AuditPage
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private const string ResourcePrefix = "Attest.Server.Audit.Page.";

    private static readonly FrozenDictionary<string, (byte[] Bytes, string ContentType)> Assets = Load();

    public static void MapAuditPage(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/audit/{file?}", Serve)
            .WithName("AuditPage")
            .WithTags(AuditEndpoints.Tag)
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Produces(StatusCodes.Status404NotFound);
    }

    private static IResult Serve(HttpContext context, string? file)
    {
        // Routing treats /audit and /audit/ alike; the page's address is the one with the slash.
        if (string.IsNullOrEmpty(file) && !context.Request.Path.Value!.EndsWith('/')) return Results.Redirect("/audit/");
        var name = string.IsNullOrEmpty(file) ? "index.html" : file;
        if (!Assets.TryGetValue(name, out var asset)) return Results.NotFound();
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(AuditPage).Assembly;
        var assets = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[name] = (copy.ToArray(), Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            });
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
