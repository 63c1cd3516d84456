using System.Globalization;
using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Attest.Server.Auth;

/// <summary>
/// What an access token must be, beyond a valid signature, issuer, type and expiry (which OpenIddict checks): signed
/// with ES256 (the one algorithm of the key; <c>none</c>, HMAC and every other are refused before a key is looked at)
/// by the key its <c>kid</c> names (no trying every key on an unknown or missing one), for Attest's API
/// (<c>aud</c>, RFC 9068 §4), and not issued or valid only in the future beyond <see cref="ClockSkew"/>. The same
/// rules hold for a token presented to the API and for one introspected or revoked.
/// </summary>
internal static class AccessTokenRules
{
    /// <summary>The audience of every access token Attest issues and the one its API accepts.</summary>
    public const string Audience = "attest-api";

    /// <summary>How far a replica's clock may run ahead of the one checking its tokens (iat/nbf). Expiry has none:
    /// OpenIddict refuses a token the second it expires.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(60);

    /// <summary>IdentityModel's part: the algorithm allowlist and the key resolved by <c>kid</c> alone.</summary>
    public static void Apply(TokenValidationParameters parameters)
    {
        parameters.ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256];
        parameters.TryAllIssuerSigningKeys = false;
        parameters.RequireSignedTokens = true;
    }

    private static readonly string[] TimeClaims = [Claims.NotBefore, Claims.IssuedAt];

    /// <summary>Why a signature-valid token is still refused, or null.</summary>
    public static string? Violation(ClaimsPrincipal token, DateTimeOffset now)
    {
        if (!token.GetAudiences().Contains(Audience, StringComparer.Ordinal)) return $"the access token is not for this API (audience {Audience})";
        foreach (var claim in TimeClaims)
        {
            if (token.GetClaim(claim) is not { } value) continue;
            if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) ||
                seconds > (now + ClockSkew).ToUnixTimeSeconds())
                return $"the access token is not valid yet ({claim})";
        }
        return null;
    }
}
