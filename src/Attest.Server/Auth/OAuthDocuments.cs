using System.Text.Json.Serialization;

namespace Attest.Server.Auth;

/// <summary>The form fields of a token request (for the API description): client credentials, or the JWT-bearer grant's assertion.</summary>
public sealed record TokenRequestForm(
    [property: JsonPropertyName("grant_type")] string GrantType,
    [property: JsonPropertyName("scope")] string? Scope,
    [property: JsonPropertyName("client_id")] string? ClientId,
    [property: JsonPropertyName("client_secret")] string? ClientSecret,
    [property: JsonPropertyName("assertion")] string? Assertion);

/// <summary>The form fields of an introspection (RFC 7662) or revocation (RFC 7009) request.</summary>
public sealed record TokenReferenceForm(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("token_type_hint")] string? TokenTypeHint);

public sealed record TokenResponse(string AccessToken, string TokenType, long ExpiresIn, string Scope);

public sealed record TokenError(string Error, string ErrorDescription);

/// <summary>RFC 7662 §2.2 (the members Attest's tokens carry).</summary>
public sealed record IntrospectionResponse(
    [property: JsonPropertyName("active")] bool Active,
    [property: JsonPropertyName("client_id")] string? ClientId,
    [property: JsonPropertyName("sub")] string? Subject,
    [property: JsonPropertyName("scope")] string? Scope,
    [property: JsonPropertyName("token_type")] string? TokenType,
    [property: JsonPropertyName("iss")] string? Issuer,
    [property: JsonPropertyName("aud")] string? Audience,
    [property: JsonPropertyName("iat")] long? IssuedAt,
    [property: JsonPropertyName("exp")] long? ExpiresAt,
    [property: JsonPropertyName("jti")] string? TokenId);

/// <summary>RFC 8414 authorization server metadata (the members that matter here).</summary>
public sealed record AuthorizationServerMetadata(
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("token_endpoint")] string TokenEndpoint,
    [property: JsonPropertyName("introspection_endpoint")] string IntrospectionEndpoint,
    [property: JsonPropertyName("revocation_endpoint")] string RevocationEndpoint,
    [property: JsonPropertyName("jwks_uri")] string JwksUri,
    [property: JsonPropertyName("grant_types_supported")] IReadOnlyList<string> GrantTypesSupported,
    [property: JsonPropertyName("scopes_supported")] IReadOnlyList<string> ScopesSupported,
    [property: JsonPropertyName("token_endpoint_auth_methods_supported")] IReadOnlyList<string> TokenEndpointAuthMethodsSupported);

/// <summary>RFC 7517 key set: the public keys access tokens are signed with.</summary>
public sealed record JsonWebKeySet([property: JsonPropertyName("keys")] IReadOnlyList<JsonWebKeyEntry> Keys);

public sealed record JsonWebKeyEntry(
    [property: JsonPropertyName("kty")] string KeyType,
    [property: JsonPropertyName("kid")] string KeyId,
    [property: JsonPropertyName("use")] string? Use,
    [property: JsonPropertyName("alg")] string? Algorithm,
    [property: JsonPropertyName("crv")] string? Curve,
    [property: JsonPropertyName("x")] string? X,
    [property: JsonPropertyName("y")] string? Y);

[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(TokenError))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
