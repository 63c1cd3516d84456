namespace Attest.Server.Auth;

/// <summary>Section <c>Attest:Auth</c>: access-token lifetime, per-client rate limits and the bootstrap credentials.</summary>
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

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (TokenLifetime < TimeSpan.FromSeconds(1) || TokenLifetime > TimeSpan.FromHours(24))
            errors.Add("Attest:Auth:TokenLifetime must be between 00:00:01 and 24:00:00");
        if (PermitsPerSecond < 1) errors.Add("Attest:Auth:PermitsPerSecond must be at least 1");
        if (Burst < 1) errors.Add("Attest:Auth:Burst must be at least 1");
        if (TokenRequestsPerSecond < 1) errors.Add("Attest:Auth:TokenRequestsPerSecond must be at least 1");
        return errors;
    }
}
