namespace Attest.Server.Auth;

/// <summary>
/// Refuses any request that carries a credential in its URL. A query string is written to access logs, proxy logs and
/// browser history, so a secret sent there is disclosed whatever the endpoint then does with it: the request is
/// answered 400 (<c>invalid_request</c>, as OAuth2 clients expect), before anything reads it. The URL itself never
/// reaches the server's log (the host's per-request log lines are off, see <c>AttestServer</c>).
/// </summary>
public static class QueryStringCredentials
{
    /// <summary>Parameter names that carry secrets in OAuth2 and its extensions.</summary>
    private static readonly string[] Names = ["client_secret", "client_assertion", "access_token", "refresh_token", "password", "assertion", "code_verifier"];

    public static IApplicationBuilder UseQueryStringCredentialGuard(this IApplicationBuilder app) => app.Use(RefuseAsync);

    // Not async itself: most requests pass straight through, without a state machine each.
    private static Task RefuseAsync(HttpContext context, RequestDelegate next)
    {
        var query = context.Request.Query;
        var named = query.Count == 0 ? null : Names.FirstOrDefault(n => query.ContainsKey(n));
        return named is null ? next(context) : RefuseAsync(context, named);
    }

    private static async Task RefuseAsync(HttpContext context, string named)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(new TokenError("invalid_request",
                $"'{named}' must not be sent in the URL, where logs and proxies keep it: send credentials in the request body or the Authorization header, and replace this one"),
            AuthJsonContext.Default.TokenError, contentType: "application/json", cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }
}
