namespace Attest.Server.Auth;

/// <summary>Section <c>Attest:Auth</c>: the authorization server (token lifetime, issuer, the JWT-bearer grant's rules),
/// per-client rate limits and the bootstrap credentials.</summary>
public sealed class AuthOptions
{
    public const string Section = "Attest:Auth";

    /// <summary>How long an access token is valid. Default 15 minutes; 1 second to 24 hours.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sustained requests per second one client may make to the <c>/v1</c> API (token bucket).</summary>
    public int PermitsPerSecond { get; set; } = 1000;

    /// <summary>Requests a client may burst above its sustained rate.</summary>
    public int Burst { get; set; } = 2000;

    /// <summary>Token requests per second from one address (slows secret guessing).</summary>
    public int TokenRequestsPerSecond { get; set; } = 50;

    /// <summary>Where the first start writes the bootstrap administrator's credentials (owner-only);
    /// default <c>&lt;DataDirectory&gt;/admin-credentials.json</c>.</summary>
    public string? BootstrapCredentialsFile { get; set; }

    /// <summary>Recovery from a lost or revoked administrator: when set and the file does not exist yet, start-up
    /// creates a new administrator (a <c>client.created</c> ledger entry) and writes its credentials there (owner-only).
    /// Once the file exists the setting does nothing, so it may stay set.</summary>
    public string? RecoveryCredentialsFile { get; set; }

    /// <summary>The <c>iss</c> of the access tokens and of the discovery document. Every replica must agree on it (a
    /// token issued by one is checked by another); default: <c>Attest:Keyless:PublicUrl</c> when set, else
    /// <c>urn:attest</c>.</summary>
    public string? Issuer { get; set; }

    /// <summary>The JWT-bearer grant (RFC 7523) for CI identity tokens.</summary>
    public JwtBearerGrantOptions JwtBearer { get; set; } = new();

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Issuer is not null && (!Uri.TryCreate(Issuer, UriKind.Absolute, out var issuer) || issuer.Scheme is not ("https" or "http")))
            errors.Add("Attest:Auth:Issuer must be an absolute http(s) URL");
        errors.AddRange(JwtBearer.Validate());
        if (TokenLifetime < TimeSpan.FromSeconds(1) || TokenLifetime > TimeSpan.FromHours(24))
            errors.Add("Attest:Auth:TokenLifetime must be between 00:00:01 and 24:00:00");
        if (PermitsPerSecond < 1) errors.Add("Attest:Auth:PermitsPerSecond must be at least 1");
        if (Burst < 1) errors.Add("Attest:Auth:Burst must be at least 1");
        if (TokenRequestsPerSecond < 1) errors.Add("Attest:Auth:TokenRequestsPerSecond must be at least 1");
        return errors;
    }
}

/// <summary>Section <c>Attest:Auth:JwtBearer</c>: which CI identity tokens (from issuers configured for keyless signing)
/// the JWT-bearer grant exchanges for access tokens, and as which client. No rule, no token: the grant fails closed.</summary>
public sealed class JwtBearerGrantOptions
{
    /// <summary>The audience an assertion must name. Deliberately not the keyless audience (<c>sigstore</c>): a token
    /// minted for a Sigstore CA (which may be a public one) must not buy an Attest access token.</summary>
    public string Audience { get; set; } = "attest";

    /// <summary>Tried in order; the first rule whose issuer and every claim condition match decides.</summary>
    public List<JwtBearerRule> Rules { get; set; } = [];

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Audience)) yield return "Attest:Auth:JwtBearer:Audience must not be empty";
        if (string.Equals(Audience, "sigstore", StringComparison.Ordinal))
            yield return "Attest:Auth:JwtBearer:Audience must not be 'sigstore': tokens for a Sigstore CA must not buy access tokens";
        for (var i = 0; i < Rules.Count; i++)
            foreach (var error in Rules[i].Validate())
                yield return $"Attest:Auth:JwtBearer:Rules[{i}]: {error}";
    }
}

/// <summary>One rule: an identity token of <see cref="Issuer"/> whose claims match every pattern of <see cref="Claims"/>
/// gets an access token as the registered client <see cref="ClientId"/>, with <see cref="Scopes"/> (at most the client's).</summary>
public sealed class JwtBearerRule
{
    public const int MaxPatternLength = 512;

    /// <summary>The token's <c>iss</c>, one of <c>Attest:Keyless:Issuers</c>.</summary>
    public string? Issuer { get; set; }

    /// <summary>Claim name to pattern (<c>repository: acme/*</c>, <c>ref: refs/heads/main</c>): the claim must be a string
    /// equal to the pattern, where <c>*</c> stands for any run of characters. At least one is required.</summary>
    public Dictionary<string, string> Claims { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The registered client the token is issued to: ledger entries name it, and revoking it stops the tokens.</summary>
    public string? ClientId { get; set; }

    /// <summary>The scopes granted (each must be one the client holds); empty: the client's scopes.</summary>
    public string[] Scopes { get; set; } = [];

    public IEnumerable<string> Validate()
    {
        if (Issuer is null || !Uri.TryCreate(Issuer, UriKind.Absolute, out _)) yield return "Issuer must be the issuer's absolute URL";
        if (string.IsNullOrWhiteSpace(ClientId) || ClientId.Length > 128) yield return "ClientId must name a registered client";
        if (Claims.Count == 0) yield return "Claims must hold at least one condition (say repository and ref): a rule on the issuer alone would admit every pipeline it serves";
        foreach (var (name, pattern) in Claims)
        {
            if (string.IsNullOrWhiteSpace(pattern) || pattern.Length > MaxPatternLength) yield return $"Claims:{name} must be a pattern of 1 to {MaxPatternLength} characters";
            else if (pattern.Trim('*').Length == 0) yield return $"Claims:{name} '{pattern}' matches everything; name what it must be";
        }
        foreach (var scope in Scopes)
            if (!Auth.Scopes.IsKnown(scope)) yield return $"scope '{scope}' is unknown (known: {string.Join(", ", Auth.Scopes.All)})";
    }
}
