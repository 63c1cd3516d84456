using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Attest.Server.Auth;

/// <summary>
/// In front of the authorization server's POST endpoints (token, introspection, revocation), before OpenIddict reads
/// anything: a per-address rate limit (<see cref="AuthOptions.TokenRequestsPerSecond"/>; slows secret guessing, and
/// must act before client authentication, which happens inside the authentication middleware), and a bounded read of
/// the form (size, field count and length), refusing repeated parameters and any method but POST. OpenIddict then reads
/// the form already read.
/// </summary>
public sealed class OAuthRequestGuard : IDisposable
{
    /// <summary>Room for an identity token in <c>assertion</c> (<see cref="Identity.OidcTokenValidator.MaxTokenLength"/>) and little else.</summary>
    public const int MaxBodyBytes = 18 * 1024;

    private static readonly FormOptions Limits = new()
    {
        BufferBody = false,
        ValueCountLimit = 16,
        KeyLengthLimit = 64,
        ValueLengthLimit = Identity.OidcTokenValidator.MaxTokenLength,
    };

    private readonly PartitionedRateLimiter<string> _limiter;

    public OAuthRequestGuard(IOptions<AuthOptions> options)
    {
        var perSecond = options.Value.TokenRequestsPerSecond;
        _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public static bool Guards(PathString path) =>
        path.Equals(OAuthServer.TokenPath, StringComparison.OrdinalIgnoreCase) ||
        path.Equals(OAuthServer.IntrospectionPath, StringComparison.OrdinalIgnoreCase) ||
        path.Equals(OAuthServer.RevocationPath, StringComparison.OrdinalIgnoreCase);

    // Not async itself: requests to other endpoints pass straight through, without a state machine each.
    public Task InvokeAsync(HttpContext context, RequestDelegate next) => Guards(context.Request.Path) ? GuardAsync(context, next) : next(context);

    private async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        using (var lease = _limiter.AttemptAcquire(context.Connection.RemoteIpAddress?.ToString() ?? IPAddress.None.ToString()))
        {
            if (!lease.IsAcquired)
            {
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = (lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                    ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1).ToString(CultureInfo.InvariantCulture);
                return;
            }
        }
        if (await ReadFormAsync(context).ConfigureAwait(false) is { } problem)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers.Pragma = "no-cache";
            await context.Response.WriteAsJsonAsync(new TokenError("invalid_request", problem), AuthJsonContext.Default.TokenError,
                contentType: "application/json", cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary>Reads a form body within the limits; what is not a form is left to OpenIddict, which refuses it.</summary>
    private static async Task<string?> ReadFormAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength is > MaxBodyBytes) return $"the request is larger than {MaxBodyBytes} bytes";
        // A body without a length (chunked) is cut off by the server at the same size: the form limits alone would let
        // 16 fields of an identity token's length through.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize) bodySize.MaxRequestBodySize = MaxBodyBytes;
        // RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1: POST only. OpenIddict would also answer introspection by GET,
        // which puts the token in the URL, where access logs and proxies keep it.
        if (!HttpMethods.IsPost(request.Method)) return "the OAuth endpoints take POST with a form body only: a token sent in the URL is disclosed to logs and proxies";
        if (!request.HasFormContentType) return null;
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(Limits, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return $"the request body is not a readable form (or has too many or too long fields, or is larger than {MaxBodyBytes} bytes)";
        }
        foreach (var field in form)
            if (field.Value.Count > 1) return $"parameter '{(field.Key.Length > 64 ? field.Key[..64] : field.Key)}' is repeated";
        return null;
    }

    public void Dispose() => _limiter.Dispose();
}

public static class OAuthRequestGuardExtensions
{
    public static IApplicationBuilder UseOAuthRequestGuard(this IApplicationBuilder app)
    {
        var guard = app.ApplicationServices.GetRequiredService<OAuthRequestGuard>();
        return app.Use(guard.InvokeAsync);
    }
}
