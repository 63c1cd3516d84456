namespace Attest.Server.Auth;

/// <summary>OAuth2 scopes. Each API endpoint requires exactly one; an authorization policy of the same name checks it.</summary>
public static class Scopes
{
    /// <summary>Sign artifacts and attestations (CI pipelines).</summary>
    public const string Sign = "sign";

    /// <summary>Ask Attest to verify bundles or evaluate images without signing anything.</summary>
    public const string Verify = "verify";

    /// <summary>Read the ledger: entries, checkpoints, proofs, export.</summary>
    public const string Audit = "audit";

    /// <summary>Manage clients and keys.</summary>
    public const string Admin = "admin";

    /// <summary>Read <c>/metrics</c> on the main listener (Prometheus's <c>oauth2</c> scrape setting); the optional
    /// metrics listener needs no token.</summary>
    public const string Metrics = "metrics";

    public static readonly IReadOnlyList<string> All = [Sign, Verify, Audit, Admin, Metrics];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);
}

/// <summary>Claim types carried in access tokens.</summary>
public static class AttestClaims
{
    public const string ClientId = "client_id";
    public const string Scope = "scope";

    /// <summary>The authenticated client's id, as ledger entries record who asked ("unknown" only off the /v1 API).</summary>
    public static string ClientIdOf(System.Security.Claims.ClaimsPrincipal user) => user.FindFirst(ClientId)?.Value ?? "unknown";
}
