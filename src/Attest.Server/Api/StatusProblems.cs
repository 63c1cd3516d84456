using Attest.Server.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing.Template;

namespace Attest.Server.Api;

/// <summary>
/// Every 4xx and 5xx a person can meet carries an RFC 9457 problem that says what to do: responses the framework
/// produces without a body (an unknown path, a wrong method, a missing or expired token, a rate limit) get one here,
/// and a token without the scope an endpoint needs gets a 403 naming that scope, with
/// <c>WWW-Authenticate: Bearer error="insufficient_scope", scope="…"</c> (RFC 6750 §3.1). Protocol endpoints that
/// answer in their own error format (OAuth2's token errors, the go command's one-line text, Rekor and Fulcio) write a
/// body themselves and are left as they are.
/// </summary>
public static class StatusProblems
{
    public static IServiceCollection AddStatusProblems(this IServiceCollection services) =>
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ScopeProblems>();

    /// <summary>Goes before authentication and routing, so that what they answer without a body gets a problem.</summary>
    public static void UseStatusProblems(this WebApplication app) =>
        app.UseStatusCodePages(context => WriteAsync(context.HttpContext));

    private static Task WriteAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var request = context.Request;
        var (title, detail) = status switch
        {
            StatusCodes.Status401Unauthorized => ("unauthorized", request.Headers.Authorization.Count == 0
                ? $"{request.Method} {Shorten(request.Path)} needs an access token: get one from POST {TokenEndpoint.Path} (client credentials) and send it as Authorization: Bearer <token>"
                : "the access token is invalid, expired or its client revoked: get a new one from POST " + TokenEndpoint.Path),
            StatusCodes.Status404NotFound => ("not found", $"nothing is served at {request.Method} {Shorten(request.Path)}; the endpoints are listed at GET /openapi/v1.json"),
            StatusCodes.Status405MethodNotAllowed => ("method not allowed", $"{Shorten(request.Path)} does not take {request.Method}{Allowed(context)}"),
            StatusCodes.Status429TooManyRequests => ("too many requests", $"this client exceeded its rate limit; retry after {(context.Response.Headers.RetryAfter.Count > 0 ? context.Response.Headers.RetryAfter.ToString() : "1")} s"),
            StatusCodes.Status413PayloadTooLarge => ("request too large", "the request body is larger than this endpoint accepts"),
            StatusCodes.Status415UnsupportedMediaType => ("unsupported media type",
                $"{request.Method} {Shorten(request.Path)} takes {Accepted(context)}, not {(request.ContentType is { Length: > 0 } given ? Shorten(given) : "a body without a Content-Type")}" +
                (Accepted(context).Contains("application/json", StringComparison.Ordinal) ? " (curl: -H 'Content-Type: application/json')" : "")),
            >= 500 => ("server error", "the server could not answer; the request may be retried"),
            _ => ("request refused", $"{request.Method} {Shorten(request.Path)} was refused with status {status}"),
        };
        return TypedResults.Problem(detail: detail, statusCode: status, title: title).ExecuteAsync(context);
    }

    /// <summary>The content types the endpoint at this path and method declares (routing answers 415 before any
    /// endpoint runs, so they are looked up here).</summary>
    private static string Accepted(HttpContext context)
    {
        var request = context.Request;
        var types = context.RequestServices.GetService<EndpointDataSource>()?.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(request.Method, StringComparer.OrdinalIgnoreCase) != false &&
                        e.RoutePattern.RawText is { } pattern &&
                        new TemplateMatcher(TemplateParser.Parse(pattern), []).TryMatch(request.Path, []))
            .SelectMany(e => e.Metadata.GetOrderedMetadata<IAcceptsMetadata>().SelectMany(a => a.ContentTypes))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList() ?? [];
        return types.Count == 0 ? "another content type" : string.Join(" or ", types);
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;

    private static string Allowed(HttpContext context) =>
        context.Response.Headers.Allow is { Count: > 0 } allow ? $"; it takes {allow}" : "";

    private static string Shorten(PathString path) => path.Value is { Length: > 100 } value ? value[..100] + "…" : path.Value ?? "/";

    /// <summary>A valid token without the scope an endpoint requires: 403 naming the scope, in the header and the body.</summary>
    private sealed class ScopeProblems : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            var needed = policy.Requirements.OfType<ClaimsAuthorizationRequirement>()
                .Where(r => r.ClaimType == AttestClaims.Scope)
                .SelectMany(r => r.AllowedValues ?? [])
                .Distinct(StringComparer.Ordinal).ToList();
            if (!authorizeResult.Forbidden || needed.Count == 0)
            {
                await _default.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
                return;
            }
            var scope = string.Join(' ', needed);
            var held = context.User.FindAll(AttestClaims.Scope).Select(c => c.Value).ToList();
            context.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", scope=\"{scope}\"";
            await TypedResults.Problem(
                detail: $"{context.Request.Method} {Shorten(context.Request.Path)} needs a token with scope '{scope}'; this token has " +
                        (held.Count == 0 ? "no scope" : $"scope '{string.Join(' ', held)}'") + $": ask POST {TokenEndpoint.Path} for scope={scope} with a client that holds it",
                statusCode: StatusCodes.Status403Forbidden,
                title: "insufficient scope",
                extensions: new Dictionary<string, object?> { ["scope"] = scope }).ExecuteAsync(context).ConfigureAwait(false);
        }
    }
}
