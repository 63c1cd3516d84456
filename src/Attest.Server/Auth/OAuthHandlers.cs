using System.Security.Claims;
using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using OpenIddict.Validation;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Attest.Server.Auth;

/// <summary>What a token request was granted: the client the token speaks for, its scopes, and (JWT-bearer) a shorter
/// lifetime and the CI identity it was exchanged for.</summary>
internal sealed record IssuedGrant(string ClientId, string Name, IReadOnlyList<string> Scopes, TimeSpan? Lifetime, IReadOnlyList<Claim> Claims);

/// <summary>
/// Attest's part of the OpenIddict pipeline (degraded mode leaves these decisions to the host): client authentication
/// against <see cref="ClientDirectory"/> for the token, introspection and revocation endpoints; the grant (client
/// credentials: the client's scopes; JWT bearer: <see cref="JwtBearerGrant"/>); who may introspect or revoke which
/// token (its own client, or an administrator); recording revocations; and refusing tokens of a revoked client or
/// revoked one by one, both when introspected and when presented to the API.
/// </summary>
internal static class OAuthHandlers
{
    private const string ClientProperty = "attest:client";
    private const string GrantProperty = "attest:grant";

    /// <summary>Before every built-in check: a request without client authentication is invalid_client (RFC 6749
    /// §5.2), as it was before OpenIddict, rather than a missing-parameter invalid_request.</summary>
    private const int First = int.MinValue + 50_000;

    /// <summary>After every built-in handler of the event.</summary>
    private const int AfterBuiltIn = 100_000;

    public static void Register(OpenIddictServerBuilder server)
    {
        server.AddEventHandler<ValidateTokenRequestContext>(b => b.UseInlineHandler(AuthenticateTokenClientAsync).SetOrder(First));
        server.AddEventHandler<ValidateTokenRequestContext>(b => b.UseInlineHandler(DecideGrantAsync).SetOrder(AfterBuiltIn));
        server.AddEventHandler<HandleTokenRequestContext>(b => b.UseInlineHandler(SignIn).SetOrder(AfterBuiltIn));
        server.AddEventHandler<ProcessSignInContext>(b => b.UseInlineHandler(AttachClientId)
            .SetOrder(OpenIddictServerHandlers.PrepareAccessTokenPrincipal.Descriptor.Order + 500));
        server.AddEventHandler<ApplyTokenResponseContext>(b => b.UseInlineHandler(AttachGrantedScopes).SetOrder(int.MinValue + 10_000));

        server.AddEventHandler<ValidateIntrospectionRequestContext>(b => b.UseInlineHandler(c => AuthenticateClientAsync(c)).SetOrder(First));
        server.RemoveEventHandler(OpenIddictServerHandlers.Introspection.ValidateAuthorizedParty.Descriptor);
        server.AddEventHandler<ValidateIntrospectionRequestContext>(b => b.UseInlineHandler(c =>
            RequireManager(c, c.GenericTokenPrincipal, Errors.InvalidToken, "introspect")).SetOrder(AfterBuiltIn));

        // Degraded mode leaves the scopes and client out of the answer; a caller allowed to introspect may see them.
        server.AddEventHandler<HandleIntrospectionRequestContext>(b => b.UseInlineHandler(c =>
        {
            if (c.GenericTokenPrincipal is { } token)
            {
                c.Scopes.UnionWith(token.GetScopes());
                c.ClientId ??= OAuthServer.ClientIdOf(token);
            }
            return default;
        }).SetOrder(AfterBuiltIn));

        server.AddEventHandler<ValidateRevocationRequestContext>(b => b.UseInlineHandler(c => AuthenticateClientAsync(c)).SetOrder(First));
        server.RemoveEventHandler(OpenIddictServerHandlers.Revocation.ValidateAuthorizedParty.Descriptor);
        server.AddEventHandler<ValidateRevocationRequestContext>(b => b.UseInlineHandler(c =>
            RequireManager(c, c.GenericTokenPrincipal, Errors.UnauthorizedClient, "revoke")).SetOrder(AfterBuiltIn));
        server.AddEventHandler<HandleRevocationRequestContext>(b => b.UseInlineHandler(RevokeAsync).SetOrder(AfterBuiltIn));

        // Introspection (and revocation, which then answers 200 as for any dead token) sees the tokens the API refuses
        // (AccessTokenRules, revoked tokens and clients) as inactive.
        server.AddEventHandler<ValidateTokenContext>(b => b.UseInlineHandler(async c =>
        {
            if (c.IsRejected || c.Principal is null) return;
            if (await RefusalAsync(Services(c.Transaction), c.Principal, c.CancellationToken).ConfigureAwait(false) is { } refusal)
                c.Reject(Errors.InvalidToken, refusal);
        }).SetOrder(AfterBuiltIn));
    }

    public static void Register(OpenIddictValidationBuilder validation) =>
        // Every API request: a token for another audience or from the future (AccessTokenRules), of a revoked client,
        // or revoked by itself, is refused (401 with WWW-Authenticate: Bearer error="invalid_token" and the reason).
        validation.AddEventHandler<OpenIddictValidationEvents.ValidateTokenContext>(b => b.UseInlineHandler(async c =>
        {
            if (c.IsRejected || c.Principal is null) return;
            var services = c.Transaction.GetHttpRequest()?.HttpContext.RequestServices ?? throw new InvalidOperationException("no HTTP request");
            if (await RefusalAsync(services, c.Principal, c.CancellationToken).ConfigureAwait(false) is { } refusal)
                c.Reject(Errors.InvalidToken, refusal);
        }).SetOrder(AfterBuiltIn));

    private static async ValueTask<string?> RefusalAsync(IServiceProvider services, ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        if (AccessTokenRules.Violation(principal, services.GetRequiredService<TimeProvider>().GetUtcNow()) is { } violation) return violation;
        if (OAuthServer.ClientIdOf(principal) is not { } clientId) return "the access token names no client";
        return await services.GetRequiredService<ClientDirectory>().RefusalAsync(clientId, principal.GetClaim(Claims.JwtId), cancellationToken).ConfigureAwait(false);
    }

    private static ValueTask AuthenticateTokenClientAsync(ValidateTokenRequestContext context)
    {
        if (context.Request.IsClientCredentialsGrantType()) return AuthenticateClientAsync(context);
        if (context.Request.GrantType == OAuthServer.JwtBearerGrantType && (!string.IsNullOrEmpty(context.ClientSecret) || !string.IsNullOrEmpty(context.Request.ClientAssertion)))
            context.Reject(Errors.InvalidRequest, "the JWT-bearer grant authenticates with its assertion alone: send no client credentials with it");
        return default;
    }

    /// <summary>client_secret_basic or client_secret_post (OpenIddict refuses both at once) against the client store.</summary>
    private static async ValueTask AuthenticateClientAsync(BaseValidatingClientContext context)
    {
        if (context.Transaction.Request is not { } request || !string.IsNullOrEmpty(request.ClientAssertion) || !string.IsNullOrEmpty(request.ClientAssertionType))
        {
            context.Reject(Errors.InvalidClient, "client assertions are not accepted: authenticate with client_secret_basic or client_secret_post");
            return;
        }
        if (string.IsNullOrEmpty(context.ClientId) || string.IsNullOrEmpty(context.ClientSecret))
        {
            context.Reject(Errors.InvalidClient, "client authentication is missing");
            return;
        }
        var clients = Services(context.Transaction).GetRequiredService<ClientDirectory>();
        var client = await clients.AuthenticateAsync(context.ClientId, context.ClientSecret, context.CancellationToken).ConfigureAwait(false);
        if (client is null)
        {
            context.Reject(Errors.InvalidClient, "client authentication failed (unknown client, wrong secret or revoked client)");
            return;
        }
        context.Transaction.Properties[ClientProperty] = client;
    }

    private static async ValueTask DecideGrantAsync(ValidateTokenRequestContext context)
    {
        var requested = context.Request.GetScopes();
        if (context.Request.IsClientCredentialsGrantType())
        {
            var client = (OAuthClient)context.Transaction.Properties[ClientProperty]!;
            var granted = requested.IsEmpty ? client.Scopes : [.. requested];
            if (granted.FirstOrDefault(s => !client.Scopes.Contains(s, StringComparer.Ordinal)) is { } unknown)
            {
                context.Reject(Errors.InvalidScope, $"scope '{Truncate(unknown)}' is not granted to this client (its scopes: {string.Join(' ', client.Scopes)})");
                return;
            }
            context.Transaction.Properties[GrantProperty] = new IssuedGrant(client.ClientId, client.Name, granted, null, []);
            return;
        }
        if (context.Request.GrantType == OAuthServer.JwtBearerGrantType)
        {
            var decision = await Services(context.Transaction).GetRequiredService<JwtBearerGrant>()
                .DecideAsync((string?)context.Request[Parameters.Assertion], requested, context.CancellationToken).ConfigureAwait(false);
            if (decision.Grant is null)
            {
                context.Reject(decision.Error, decision.Description);
                return;
            }
            context.Transaction.Properties[GrantProperty] = decision.Grant;
            return;
        }
        context.Reject(Errors.UnsupportedGrantType, $"grant_type '{Truncate(context.Request.GrantType ?? "")}' is not supported; use client_credentials or {OAuthServer.JwtBearerGrantType}");
    }

    private static ValueTask SignIn(HandleTokenRequestContext context)
    {
        if (Grant(context.Transaction) is not { } grant) return default;
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, grant.ClientId).SetClaim(Claims.Name, grant.Name);
        identity.AddClaims(grant.Claims);
        identity.SetScopes(grant.Scopes);
        identity.SetResources(AccessTokenRules.Audience); // becomes the access token's aud
        identity.SetDestinations(static _ => [Destinations.AccessToken]);
        var principal = new ClaimsPrincipal(identity);
        if (grant.Lifetime is { } lifetime) principal.SetAccessTokenLifetime(lifetime);
        context.SignIn(principal);
        return default;
    }

    /// <summary>RFC 9068's client_id: the authenticated client, or for a JWT-bearer token the client its rule names.</summary>
    private static ValueTask AttachClientId(ProcessSignInContext context)
    {
        if (Grant(context.Transaction) is { } grant) context.AccessTokenPrincipal?.SetClaim(Claims.ClientId, grant.ClientId);
        return default;
    }

    /// <summary>The granted scopes are always in the response (OpenIddict omits them when they equal the request).</summary>
    private static ValueTask AttachGrantedScopes(ApplyTokenResponseContext context)
    {
        if (Grant(context.Transaction) is { } grant && context.Response.AccessToken is not null) context.Response.Scope = string.Join(' ', grant.Scopes);
        return default;
    }

    /// <summary>A client may introspect and revoke its own tokens; an administrator anyone's.</summary>
    private static ValueTask RequireManager(BaseValidatingContext context, ClaimsPrincipal? token, string error, string what)
    {
        var allowed = context.Transaction.Properties.GetValueOrDefault(ClientProperty) is OAuthClient caller && token is not null &&
                      (caller.Scopes.Contains(Scopes.Admin, StringComparer.Ordinal) || OAuthServer.ClientIdOf(token) == caller.ClientId);
        if (!allowed) context.Reject(error, $"the token was issued to another client, and only an administrator may {what} it");
        return default;
    }

    private static async ValueTask RevokeAsync(HandleRevocationRequestContext context)
    {
        var token = context.GenericTokenPrincipal;
        if (token?.GetClaim(Claims.JwtId) is not { Length: > 0 and <= 128 } tokenId || OAuthServer.ClientIdOf(token) is not { } clientId || token.GetExpirationDate() is not { } expires)
        {
            context.Reject(Errors.UnsupportedTokenType, "only access tokens with an id, a client and an expiry can be revoked");
            return;
        }
        await Services(context.Transaction).GetRequiredService<ClientDirectory>().RevokeTokenAsync(tokenId, clientId, expires, context.CancellationToken).ConfigureAwait(false);
    }

    private static IssuedGrant? Grant(OpenIddictServerTransaction transaction) => transaction.Properties.GetValueOrDefault(GrantProperty) as IssuedGrant;

    private static IServiceProvider Services(OpenIddictServerTransaction transaction) =>
        transaction.GetHttpRequest()?.HttpContext.RequestServices ?? throw new InvalidOperationException("no HTTP request");

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
