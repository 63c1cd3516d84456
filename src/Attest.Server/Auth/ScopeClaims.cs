using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Abstractions;

namespace Attest.Server.Auth;

/// <summary>An access token carries its scopes as one space-separated <c>scope</c> claim (RFC 9068); the authorization
/// policies and the 403 problem read one <c>scope</c> claim per scope, so the one claim is split here.</summary>
internal sealed class ScopeClaims : IClaimsTransformation
{
    public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (principal.Identity is not ClaimsIdentity { IsAuthenticated: true } identity) return Task.FromResult(principal);
        var joined = identity.FindAll(AttestClaims.Scope).ToList();
        if (joined.Count != 1 || !joined[0].Value.Contains(' ', StringComparison.Ordinal)) return Task.FromResult(principal);
        var copy = identity.Clone();
        copy.RemoveClaim(copy.FindFirst(AttestClaims.Scope));
        foreach (var scope in principal.GetScopes()) copy.AddClaim(new Claim(AttestClaims.Scope, scope));
        return Task.FromResult(new ClaimsPrincipal(copy));
    }
}
