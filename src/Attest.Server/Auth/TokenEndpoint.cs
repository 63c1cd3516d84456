using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.Extensions.Options;

namespace Attest.Server.Auth;

/// <summary>
/// <c>POST /oauth/token</c>: the OAuth2 client-credentials grant (RFC 6749 §4.4). Clients authenticate with HTTP Basic
/// (<c>client_secret_basic</c>) or form fields (<c>client_secret_post</c>), never both; the token carries the granted
/// scopes and expires after <see cref="AuthOptions.TokenLifetime"/>. Tokens are ASP.NET Core bearer tokens, protected
/// (encrypted and authenticated) by the data-protection keys in the data directory.
/// </summary>
public static class TokenEndpoint
{
    public const string Path = "/oauth/token";
    public const string RateLimitPolicy = "token-endpoint";
    private const int MaxBodyBytes = 8 * 1024;

    public static void MapTokenEndpoint(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(Path, IssueAsync)
            .WithName("IssueToken")
            .WithTags("auth")
            .AllowAnonymous()
            .DisableAntiforgery()
            .RequireRateLimiting(RateLimitPolicy)
            // Described rather than declared with Accepts: routing would answer other media types with a bare 415,
            // where OAuth2 clients expect an invalid_request error they can read.
            .AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
            {
                var schema = await context.GetOrCreateSchemaAsync(typeof(TokenRequestForm), null, cancellationToken).ConfigureAwait(false);
                context.Document!.AddComponent(nameof(TokenRequestForm), schema);
                operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                    {
                        ["application/x-www-form-urlencoded"] = new() { Schema = new Microsoft.OpenApi.OpenApiSchemaReference(nameof(TokenRequestForm), context.Document) },
                    },
                };
            })
            .Produces<TokenResponse>(StatusCodes.Status200OK)
            .Produces<TokenError>(StatusCodes.Status400BadRequest)
            .Produces<TokenError>(StatusCodes.Status401Unauthorized)
            .Produces(StatusCodes.Status429TooManyRequests);

    private static async Task<IResult> IssueAsync(HttpContext context, ClientDirectory clients, IOptionsMonitor<BearerTokenOptions> bearer,
        IOptions<AuthOptions> options, TimeProvider time)
    {
        // Token responses must never be cached (RFC 6749 §5.1), errors included.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";

        var request = context.Request;
        if (!request.HasFormContentType || request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
            return Error("invalid_request", "the token request must be application/x-www-form-urlencoded");
        if (request.ContentLength is > MaxBodyBytes)
            return Error("invalid_request", $"the token request is larger than {MaxBodyBytes} bytes");

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions
            {
                BufferBody = false,
                ValueCountLimit = 16,
                KeyLengthLimit = 64,
                ValueLengthLimit = 2048,
            }, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return Error("invalid_request", "the token request body is not a readable form");
        }
        foreach (var field in form)
            if (field.Value.Count > 1) return Error("invalid_request", $"parameter '{field.Key}' is repeated");

        if (form["grant_type"].ToString() is not { Length: > 0 } grantType)
            return Error("invalid_request", "grant_type is missing");
        if (grantType != "client_credentials")
            return Error("unsupported_grant_type", $"grant_type '{Truncate(grantType)}' is not supported; use client_credentials");

        var (clientId, secret, usedBasic, credentialError) = ReadCredentials(request, form);
        if (credentialError is not null) return Error("invalid_request", credentialError);
        if (clientId is null || secret is null) return InvalidClient(usedBasic, "client authentication is missing");

        var client = await clients.AuthenticateAsync(clientId, secret, context.RequestAborted).ConfigureAwait(false);
        if (client is null) return InvalidClient(usedBasic, "client authentication failed (unknown client, wrong secret or revoked client)");

        var requested = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var granted = requested.Length == 0 ? client.Scopes : requested.Distinct(StringComparer.Ordinal).ToList();
        var unknown = granted.FirstOrDefault(s => !client.Scopes.Contains(s, StringComparer.Ordinal));
        if (unknown is not null)
            return Error("invalid_scope", $"scope '{Truncate(unknown)}' is not granted to this client (its scopes: {string.Join(' ', client.Scopes)})");

        var now = time.GetUtcNow();
        var lifetime = options.Value.TokenLifetime;
        var identity = new ClaimsIdentity(
            [new Claim(AttestClaims.ClientId, client.ClientId), new Claim(ClaimTypes.Name, client.Name), .. granted.Select(s => new Claim(AttestClaims.Scope, s))],
            BearerTokenDefaults.AuthenticationScheme, ClaimTypes.Name, null);
        var ticket = new AuthenticationTicket(new ClaimsPrincipal(identity),
            new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now + lifetime }, BearerTokenDefaults.AuthenticationScheme);
        var token = bearer.Get(BearerTokenDefaults.AuthenticationScheme).BearerTokenProtector.Protect(ticket);
        return Results.Json(new TokenResponse(token, "Bearer", (long)lifetime.TotalSeconds, string.Join(' ', granted)), AuthJsonContext.Default.TokenResponse);
    }

    /// <summary>client_secret_basic (RFC 6749 §2.3.1: form-urlencoded id and secret, then Basic) or client_secret_post; using both is an error.</summary>
    private static (string? ClientId, string? Secret, bool UsedBasic, string? Error) ReadCredentials(HttpRequest request, IFormCollection form)
    {
        var formId = form["client_id"].ToString();
        var formSecret = form["client_secret"].ToString();
        var header = request.Headers.Authorization.ToString();
        if (header.Length == 0)
            return (formId.Length > 0 ? formId : null, formSecret.Length > 0 ? formSecret : null, false, null);
        if (formSecret.Length > 0) return (null, null, true, "use one client authentication method: HTTP Basic or form fields, not both");
        if (!AuthenticationHeaderValue.TryParse(header, out var value) || !string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || value.Parameter is null)
            return (null, null, true, "the Authorization header must be HTTP Basic client credentials");
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value.Parameter));
        }
        catch (FormatException)
        {
            return (null, null, true, "the Basic credentials are not valid base64");
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return (null, null, true, "the Basic credentials have no ':' between client id and secret");
        var id = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
        if (formId.Length > 0 && formId != id) return (null, null, true, "client_id in the form differs from the Basic credentials");
        return (id, Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')), true, null);
    }

    private static IResult Error(string code, string description) =>
        Results.Json(new TokenError(code, description), AuthJsonContext.Default.TokenError, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>RFC 6749 §5.2: 401 with a challenge for the scheme the client tried; 400 when it sent no Authorization header.</summary>
    private static IResult InvalidClient(bool usedBasic, string description) => usedBasic
        ? new InvalidClientResult(description)
        : Results.Json(new TokenError("invalid_client", description), AuthJsonContext.Default.TokenError, statusCode: StatusCodes.Status401Unauthorized);

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";

    private sealed class InvalidClientResult(string description) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.WWWAuthenticate = "Basic realm=\"attest\"";
            return Results.Json(new TokenError("invalid_client", description), AuthJsonContext.Default.TokenError, statusCode: StatusCodes.Status401Unauthorized)
                .ExecuteAsync(httpContext);
        }
    }
}

/// <summary>The form fields of a token request (for the API description).</summary>
public sealed record TokenRequestForm(
    [property: JsonPropertyName("grant_type")] string GrantType,
    [property: JsonPropertyName("scope")] string? Scope,
    [property: JsonPropertyName("client_id")] string? ClientId,
    [property: JsonPropertyName("client_secret")] string? ClientSecret);

public sealed record TokenResponse(string AccessToken, string TokenType, long ExpiresIn, string Scope);

public sealed record TokenError(string Error, string ErrorDescription);

[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(TokenError))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
