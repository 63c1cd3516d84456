using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Attest.Server.Auth;

/// <summary>
/// The OAuth2 authorization server on OpenIddict, in its degraded mode: OpenIddict parses and answers the protocol
/// (the token endpoint with the client-credentials and JWT-bearer grants, introspection, revocation, the discovery
/// document and the JWKS) and signs the access tokens (ES256 JWTs, <see cref="OAuthSigningKey"/>); Attest's own
/// handlers (<see cref="OAuthHandlers"/>) decide who the client is (<see cref="ClientDirectory"/>, the existing
/// client store), what it gets, and which tokens were revoked. API requests are authenticated by OpenIddict's
/// validation against the same key, so every replica checks every replica's tokens.
/// </summary>
public static class OAuthServer
{
    public const string TokenPath = "/oauth/token";
    public const string IntrospectionPath = "/oauth/introspect";
    public const string RevocationPath = "/oauth/revoke";
    public const string MetadataPath = "/.well-known/oauth-authorization-server";
    public const string OpenIdConfigurationPath = "/.well-known/openid-configuration";
    public const string JwksPath = "/.well-known/jwks";

    /// <summary>Whether <paramref name="path"/> is one of the authorization server's endpoints.</summary>
    public static bool Serves(PathString path) =>
        path.StartsWithSegments("/oauth", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/.well-known", StringComparison.OrdinalIgnoreCase);

    /// <summary>RFC 7523 §2.1.</summary>
    public const string JwtBearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    /// <summary>The issuer when none is configured: the URL clients are told to use, else a name every replica shares.</summary>
    public static Uri IssuerFor(AuthOptions options, string? publicUrl) =>
        new(options.Issuer ?? publicUrl ?? "urn:attest", UriKind.Absolute);

    public static void AddAttestOAuthServer(this IServiceCollection services, AuthOptions options, OAuthSigningKey signingKey, Uri issuer)
    {
        services.AddSingleton(_ => signingKey);
        services.AddSingleton<JwtBearerGrant>();
        services.AddSingleton<OAuthRequestGuard>();
        services.AddOpenIddict()
            .AddServer(server =>
            {
                server.SetIssuer(issuer)
                    .SetTokenEndpointUris(TokenPath.TrimStart('/'))
                    .SetIntrospectionEndpointUris(IntrospectionPath.TrimStart('/'))
                    .SetRevocationEndpointUris(RevocationPath.TrimStart('/'))
                    .SetConfigurationEndpointUris(MetadataPath.TrimStart('/'), OpenIdConfigurationPath.TrimStart('/'))
                    .SetJsonWebKeySetEndpointUris(JwksPath.TrimStart('/'));
                server.AllowClientCredentialsFlow().AllowCustomFlow(JwtBearerGrantType);
                // Clients live in Attest's client store (SHA-256 secret hashes, revocation history, ledger entries), not
                // in OpenIddict's stores: Attest's handlers authenticate them and keep the revoked token ids.
                server.EnableDegradedMode();
                // A JWT-bearer request names no client (its assertion is the credential); every other request is
                // refused without client authentication by OAuthHandlers.AuthenticateClientAsync.
                server.AcceptAnonymousClients();
                server.RegisterScopes([.. Scopes.All]);
                server.SetAccessTokenLifetime(options.TokenLifetime);
                // Signed, not encrypted: resource servers (and replicas) check them with the published key.
                server.DisableAccessTokenEncryption();
                server.AddSigningKey(signingKey.SecurityKey);
                // OpenIddict requires an encryption key, but nothing issued here is encrypted (no codes, no refresh or
                // encrypted access tokens), so a random one that lives as long as the process is enough (symmetric:
                // generating OpenIddict's ephemeral RSA key held up the first request for seconds on a loaded machine).
                server.AddEncryptionKey(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)));
                // TLS is terminated in front of Attest (or Attest listens on loopback only), as for the rest of the API.
                server.UseAspNetCore().DisableTransportSecurityRequirement();
                // Advertise what is accepted: client secrets (basic or post), Attest's scopes only.
                server.Configure(o =>
                {
                    o.ClientAuthenticationMethods.Remove(ClientAuthenticationMethods.PrivateKeyJwt);
                    o.Scopes.Remove(OpenIddict.Abstractions.OpenIddictConstants.Scopes.OpenId);
                    AccessTokenRules.Apply(o.TokenValidationParameters);
                });
                OAuthHandlers.Register(server);
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.UseAspNetCore();
                validation.Configure(o => AccessTokenRules.Apply(o.TokenValidationParameters));
                OAuthHandlers.Register(validation);
            });
        services.AddAuthentication(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        services.AddSingleton<IPostConfigureOptions<OpenIddictServerOptions>, OAuthHandlerPruning>();
    }

    /// <summary>Builds OpenIddict's options (keys, handlers, configuration) before the server listens, so the first
    /// request does not pay for it.</summary>
    public static void WarmUpOAuthServer(this IServiceProvider services)
    {
        _ = services.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue;
        _ = services.GetRequiredService<IOptionsMonitor<OpenIddict.Validation.OpenIddictValidationOptions>>().CurrentValue;
    }

    /// <summary>The OAuth endpoints answer in OpenIddict's middleware; this registers their description for the API
    /// document only (routing never reaches these delegates: OpenIddict has answered first).</summary>
    public static void MapOAuthDescriptions(this IEndpointRouteBuilder endpoints)
    {
        FormEndpoint<TokenRequestForm>(endpoints, TokenPath, "IssueToken").Produces<TokenResponse>(StatusCodes.Status200OK);
        FormEndpoint<TokenReferenceForm>(endpoints, IntrospectionPath, "IntrospectToken").Produces<IntrospectionResponse>(StatusCodes.Status200OK);
        FormEndpoint<TokenReferenceForm>(endpoints, RevocationPath, "RevokeToken").Produces(StatusCodes.Status200OK);
        endpoints.MapGet(MetadataPath, NotReached)
            .WithName("GetAuthorizationServerMetadata")
            .WithTags("auth")
            .AllowAnonymous()
            .Produces<AuthorizationServerMetadata>(StatusCodes.Status200OK);
        endpoints.MapGet(OpenIdConfigurationPath, NotReached)
            .WithName("GetOpenIdConfiguration")
            .WithTags("auth")
            .AllowAnonymous()
            .Produces<AuthorizationServerMetadata>(StatusCodes.Status200OK);
        endpoints.MapGet(JwksPath, NotReached)
            .WithName("GetTokenSigningKeys")
            .WithTags("auth")
            .AllowAnonymous()
            .Produces<JsonWebKeySet>(StatusCodes.Status200OK);
    }

    /// <summary>A POST of OAuth form fields, answered with OAuth errors (400, 401) or a rate-limit 429.</summary>
    private static RouteHandlerBuilder FormEndpoint<TForm>(IEndpointRouteBuilder endpoints, string path, string name) =>
        endpoints.MapPost(path, NotReached)
            .WithName(name)
            .WithTags("auth")
            .AllowAnonymous()
            .DisableAntiforgery()
            .AddOpenApiOperationTransformer(FormBody<TForm>())
            .Produces<TokenError>(StatusCodes.Status400BadRequest)
            .Produces<TokenError>(StatusCodes.Status401Unauthorized)
            .Produces(StatusCodes.Status429TooManyRequests);

    private static IResult NotReached() =>
        Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "authorization server unavailable",
            detail: "the authorization server did not answer this request");

    /// <summary>Described rather than declared with Accepts: routing would answer other media types with a bare 415,
    /// where OAuth2 clients expect an invalid_request error they can read.</summary>
    private static Func<Microsoft.OpenApi.OpenApiOperation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext, CancellationToken, Task> FormBody<T>() =>
        async (operation, context, cancellationToken) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, cancellationToken).ConfigureAwait(false);
            context.Document!.AddComponent(typeof(T).Name, schema);
            operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                {
                    ["application/x-www-form-urlencoded"] = new() { Schema = new Microsoft.OpenApi.OpenApiSchemaReference(typeof(T).Name, context.Document) },
                },
            };
        };

    /// <summary>The access token's client: <c>client_id</c>, which both grants set.</summary>
    internal static string? ClientIdOf(System.Security.Claims.ClaimsPrincipal principal) =>
        principal.FindFirst(Claims.ClientId)?.Value;
}
