using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json;
using Attest.Server.Hosting;
using Attest.Server.Identity;
using Microsoft.Extensions.Options;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Attest.Server.Auth;

/// <summary>
/// The JWT-bearer grant (RFC 7523 §2.1) for CI: the assertion is the pipeline's OIDC identity token, validated as keyless
/// signing validates it (<see cref="OidcTokenValidator"/>: a configured issuer, its keys, expiry) but for the grant's own
/// audience; the first rule of <c>Attest:Auth:JwtBearer:Rules</c> whose issuer and claim patterns all match names the
/// registered client the access token is issued to and its scopes. No rule, an unknown or revoked client, or a scope
/// the rule does not give: invalid_grant or invalid_scope. The token lives no longer than the assertion.
/// </summary>
public sealed class JwtBearerGrant(IOptions<AuthOptions> options, OidcTokenValidator validator, ClientDirectory clients, TimeProvider time)
{
    /// <summary>Longest claim value compared with a pattern.</summary>
    private const int MaxClaimLength = 4096;

    internal sealed record Decision(IssuedGrant? Grant, string Error, string Description);

    /// <summary>Stops start-up when a rule names an issuer keyless signing does not trust: its tokens could never be validated.</summary>
    public void CheckRules()
    {
        var issuers = validator.Issuers.Select(i => i.Issuer).ToHashSet(StringComparer.Ordinal);
        var rules = options.Value.JwtBearer.Rules;
        for (var i = 0; i < rules.Count; i++)
            if (!issuers.Contains(rules[i].Issuer!))
                throw new StartupException($"Attest:Auth:JwtBearer:Rules[{i}]: issuer {rules[i].Issuer} is not one of Attest:Keyless:Issuers, whose keys validate the assertions");
    }

    internal async Task<Decision> DecideAsync(string? assertion, ImmutableArray<string> requested, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(assertion)) return Refuse(Errors.InvalidRequest, "the JWT-bearer grant needs the identity token in 'assertion'");
        var settings = options.Value.JwtBearer;
        var (identity, rejection) = await validator.ValidateAsync(assertion, settings.Audience, cancellationToken).ConfigureAwait(false);
        if (identity is null) return Refuse(Errors.InvalidGrant, $"the assertion is not accepted ({rejection!.Code}): {rejection.Detail}");

        var rule = settings.Rules.FirstOrDefault(r => r.Issuer == identity.Issuer && r.Claims.All(c => Matches(identity.Claims, c.Key, c.Value)));
        if (rule is null)
            return Refuse(Errors.InvalidGrant, $"no rule of Attest:Auth:JwtBearer:Rules admits this identity (issuer {identity.Issuer}, subject {Shorten(identity.Subject)})");
        var client = (await clients.Store.FindAsync(rule.ClientId!, cancellationToken).ConfigureAwait(false))?.Client;
        if (client is not { IsActive: true })
            return Refuse(Errors.InvalidGrant, $"the client '{rule.ClientId}' the matching rule names is not registered or has been revoked");

        var allowed = rule.Scopes.Length == 0 ? client.Scopes : [.. rule.Scopes.Where(s => client.Scopes.Contains(s, StringComparer.Ordinal))];
        IReadOnlyList<string> granted = requested.IsEmpty ? allowed : [.. requested];
        if (granted.Count == 0) return Refuse(Errors.InvalidScope, $"the matching rule gives client '{client.ClientId}' no scope it holds");
        if (granted.FirstOrDefault(s => !allowed.Contains(s, StringComparer.Ordinal)) is { } unknown)
            return Refuse(Errors.InvalidScope, $"scope '{Shorten(unknown)}' is not given by the matching rule (it gives: {string.Join(' ', allowed)})");

        var left = identity.ExpiresAt - time.GetUtcNow();
        if (left < TimeSpan.FromSeconds(1)) return Refuse(Errors.InvalidGrant, "the assertion expires within a second");
        var lifetime = left < options.Value.TokenLifetime ? left : options.Value.TokenLifetime;
        return new Decision(new IssuedGrant(client.ClientId, client.Name, granted, lifetime,
            [new Claim("ci_issuer", identity.Issuer), new Claim("ci_subject", identity.Subject)]), "", "");
    }

    private static Decision Refuse(string error, string description) => new(null, error, description);

    private static bool Matches(JsonElement claims, string name, string pattern) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String &&
        value.GetString() is { Length: <= MaxClaimLength } text && Glob(pattern, text);

    /// <summary>Whole-string match where <c>*</c> stands for any run of characters (none included); linear-time
    /// backtracking over the last star only, so no pattern makes it slow.</summary>
    internal static bool Glob(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
