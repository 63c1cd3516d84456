using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Attest.Server.Auth;

/// <summary>Describes the OAuth2 client-credentials scheme in the served OpenAPI document and, on each operation, the
/// scope its authorization policy requires, so clients (and the authorization-matrix test) can read them.</summary>
public static class OpenApiSecurity
{
    public const string SchemeName = "oauth2";

    public static OpenApiOptions AddAttestSecurity(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.OAuth2,
                Description = "OAuth2 client credentials (RFC 6749 §4.4); every /v1 operation requires one scope.",
                Flows = new OpenApiOAuthFlows
                {
                    ClientCredentials = new OpenApiOAuthFlow
                    {
                        TokenUrl = new Uri(OAuthServer.TokenPath, UriKind.Relative),
                        Scopes = new Dictionary<string, string>
                        {
                            [Scopes.Sign] = "sign artifacts and attestations",
                            [Scopes.Verify] = "verify bundles and evaluate images",
                            [Scopes.Audit] = "read the ledger",
                            [Scopes.Admin] = "manage clients and keys",
                            [Scopes.Metrics] = "read /metrics",
                        },
                    },
                },
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var scope = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>()
                .Select(a => a.Policy).LastOrDefault(p => p is not null && Scopes.IsKnown(p));
            if (scope is null) return Task.CompletedTask;
            // Every secured operation can also answer these; listing them keeps the contract honest.
            operation.Responses ??= new OpenApiResponses();
            operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No access token, or it is invalid, expired or its client revoked." });
            operation.Responses.TryAdd("403", new OpenApiResponse { Description = $"The access token lacks scope '{scope}'." });
            operation.Responses.TryAdd("429", new OpenApiResponse { Description = "The client exceeded its rate limit; see Retry-After." });
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [scope],
            });
            return Task.CompletedTask;
        });
        return options;
    }
}
