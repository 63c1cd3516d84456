using System.Text.Json;
using Attest.Oci;
using Attest.Server.Hosting;
using Attest.Sigstore.Keyless;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Attest.Server.Identity;

/// <summary>A CI identity proven by an OIDC token from a configured issuer: who issued it, its subject, how its claims
/// map to a certificate identity, and every claim (the JWT payload) for that mapping.</summary>
public sealed record CiIdentity(string Issuer, string Subject, IdentityType Type, JsonElement Claims, DateTimeOffset ExpiresAt, OidcIssuerOptions Configuration);

/// <summary>Why a token was refused: a stable code and a sentence for the 401 problem body.</summary>
public sealed record TokenRejection(string Code, string Detail);

/// <summary>
/// Validates CI identity tokens (OIDC ID tokens) against the configured issuers (<c>Attest:Keyless:Issuers</c>) with
/// Microsoft.IdentityModel: the issuer must be configured; the algorithm must be an asymmetric one on the issuer's
/// allowlist (never <c>none</c>, never HMAC); the signature must verify with the issuer's key named by <c>kid</c>
/// (unknown ids trigger a rate-limited refetch of the key set); <c>aud</c> must name the configured audience; and
/// <c>exp</c> (required), <c>nbf</c> and <c>iat</c> must hold at the injected time within the issuer's clock skew. Used by
/// the Fulcio endpoint, and meant for any other exchange of CI tokens (a JWT-bearer grant).
/// </summary>
public sealed class OidcTokenValidator
{
    /// <summary>Longest token accepted (GitHub's are about 1.5 KB).</summary>
    public const int MaxTokenLength = 16 * 1024;

    private readonly Dictionary<string, (OidcIssuerOptions Options, JwksSource Keys)> _issuers = new(StringComparer.Ordinal);
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TimeProvider _time;

    public OidcTokenValidator(IOptions<KeylessOptions> options, RegistryClientOptions egress, TimeProvider time)
    {
        _time = time;
        HttpClient? http = null;
        foreach (var issuer in options.Value.Issuers)
        {
            if (issuer.JwksUri is not null && http is null)
            {
                var handler = EgressHttpHandler.Create(egress);
                handler.AllowAutoRedirect = false; // a key set is where the configuration says, not where a redirect points
                http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
                http.DefaultRequestHeaders.UserAgent.ParseAdd("attest/0.1");
            }
            _issuers[issuer.Issuer!] = (issuer, new JwksSource(issuer, http, egress, time));
        }
    }

    /// <summary>Whether any issuer is configured (keyless signing is off otherwise).</summary>
    public bool HasIssuers => _issuers.Count > 0;

    public IEnumerable<OidcIssuerOptions> Issuers => _issuers.Values.Select(i => i.Options);

    /// <summary>Reads every file-based key set, so that a missing or invalid one stops start-up.</summary>
    public void LoadKeyFiles()
    {
        foreach (var (options, keys) in _issuers.Values)
        {
            try
            {
                keys.LoadFile();
            }
            catch (Exception e) when (e is JwksException or IOException or UnauthorizedAccessException)
            {
                throw new StartupException($"Attest:Keyless issuer {options.Issuer}: {e.Message}", e);
            }
        }
    }

    public Task<(CiIdentity? Identity, TokenRejection? Rejection)> ValidateAsync(string? token, CancellationToken cancellationToken) =>
        ValidateAsync(token, null, cancellationToken);

    /// <summary>As above, with <paramref name="audience"/> required in place of the issuer's configured one (the
    /// JWT-bearer grant asks for its own, so a token meant for the Sigstore CA is not accepted there).</summary>
    public async Task<(CiIdentity? Identity, TokenRejection? Rejection)> ValidateAsync(string? token, string? audience, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token)) return Reject("token.missing", "no identity token was given");
        if (token.Length > MaxTokenLength) return Reject("token.too-large", $"the identity token is longer than {MaxTokenLength} characters");
        JsonWebToken jwt;
        JsonElement claims;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
            using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload), new JsonDocumentOptions { MaxDepth = 16 });
            claims = payload.RootElement.Clone();
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or JsonException or FormatException)
        {
            return Reject("token.malformed", "the identity token is not a signed JWT (three base64url parts with a JSON header and payload)");
        }
        if (claims.ValueKind != JsonValueKind.Object) return Reject("token.malformed", "the identity token's payload is not a JSON object");
        if (jwt.IsEncrypted) return Reject("token.malformed", "encrypted tokens are not accepted");

        var issuerName = Text(claims, "iss");
        if (issuerName is null || !_issuers.TryGetValue(issuerName, out var issuer))
            return Reject("token.issuer", $"the token's issuer {Quote(issuerName)} is not one Attest trusts (Attest:Keyless:Issuers)");
        var options = issuer.Options;
        var algorithm = jwt.Alg;
        if (string.IsNullOrEmpty(algorithm) || !options.EffectiveAlgorithms.Contains(algorithm, StringComparer.Ordinal))
            return Reject("token.algorithm", $"the token is signed with algorithm {Quote(algorithm)}, which is not accepted for {issuerName} (accepted: {string.Join(", ", options.EffectiveAlgorithms)}; never none or HMAC)");

        // Lifetime first, at Attest's own clock: precise answers, and no key fetch for a token that is dead anyway.
        var now = _time.GetUtcNow();
        var skew = TimeSpan.FromSeconds(options.ClockSkewSeconds);
        if (Seconds(claims, "exp") is not { } exp) return Reject("token.expiry", "the token has no numeric 'exp' claim; tokens without an expiry are not accepted");
        if (exp + skew <= now) return Reject("token.expired", $"the token expired at {exp:O}");
        if (Seconds(claims, "nbf") is { } nbf && nbf - skew > now) return Reject("token.not-yet-valid", $"the token is not valid before {nbf:O}");
        if (Seconds(claims, "iat") is { } iat && iat - skew > now) return Reject("token.not-yet-valid", $"the token was issued in the future ({iat:O})");
        if (Text(claims, "sub") is not { } subject) return Reject("token.subject", "the token has no 'sub' claim");

        var keyId = string.IsNullOrEmpty(jwt.Kid) ? null : jwt.Kid;
        IReadOnlyList<SecurityKey> keys;
        try
        {
            keys = await issuer.Keys.GetKeysAsync(keyId, cancellationToken).ConfigureAwait(false);
        }
        catch (JwksException e)
        {
            return Reject("token.keys-unavailable", e.Message);
        }
        if (keys.Count == 0)
            return Reject("token.key-unknown", keyId is null ? $"{issuerName} publishes no key to verify the token with"
                : $"the token names key id {Quote(keyId)}, which {issuerName} does not publish");

        var result = await _handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = audience ?? options.Audience,
            ValidateLifetime = false, // checked above, at the injected clock
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            ValidAlgorithms = options.EffectiveAlgorithms,
            IssuerSigningKeys = keys,
            TryAllIssuerSigningKeys = keyId is null,
            ValidateIssuerSigningKey = false,
        }).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return result.Exception switch
            {
                SecurityTokenInvalidAudienceException => Reject("token.audience", $"the token's audience is not {Quote(audience ?? options.Audience)}"),
                SecurityTokenInvalidIssuerException => Reject("token.issuer", $"the token's issuer is not {options.Issuer}"),
                SecurityTokenInvalidAlgorithmException => Reject("token.algorithm", $"the token's algorithm {Quote(algorithm)} does not fit the key it names"),
                SecurityTokenSignatureKeyNotFoundException => Reject("token.key-unknown", $"no key of {issuerName} verifies the token"),
                _ => Reject("token.signature", "the token's signature does not verify with the issuer's key"),
            };
        }
        return (new CiIdentity(issuerName, subject, options.IdentityType, claims, exp, options), null);
    }

    private static (CiIdentity?, TokenRejection?) Reject(string code, string detail) => (null, new TokenRejection(code, detail));

    private static string? Text(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 and <= 1024 } text ? text : null;

    private static DateTimeOffset? Seconds(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var seconds)
        && seconds is > 0 and < 253402300799 ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)) : null;

    private static string Quote(string? text) => text is null ? "(none)" : $"'{(text.Length <= 200 ? text : text[..200] + "…")}'";
}
