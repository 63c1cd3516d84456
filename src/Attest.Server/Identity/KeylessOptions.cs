using Attest.Sigstore.Keyless;

namespace Attest.Server.Identity;

/// <summary>Section <c>Attest:Keyless</c>: the OIDC issuers whose CI identity tokens Attest accepts, and the private
/// Sigstore (CA, transparency log, TSA) that certifies and logs for them.</summary>
public sealed class KeylessOptions
{
    public const string Section = "Attest:Keyless";
    public const string AcceptAttest = "attest";
    public const string AcceptAny = "any";

    /// <summary>Issuers, as items (<c>Issuers:0:Issuer</c>) or by name (<c>Issuers:github:Issuer</c>).</summary>
    public List<OidcIssuerOptions> Issuers { get; set; } = [];

    /// <summary>Lifetime of issued signing certificates (Fulcio: 10 minutes); 1 to 20 minutes.</summary>
    public TimeSpan CertificateLifetime { get; set; } = CertificateAuthority.DefaultLifetime;

    /// <summary>An operator-provided CA: PEM chain (issuing certificate first, then up to the root) and its ECDSA key.
    /// Unset: a root and intermediate are generated into <c>&lt;DataDirectory&gt;/keys/keyless/</c> on first start.</summary>
    public AuthorityFiles Ca { get; set; } = new();

    /// <summary>An operator-provided timestamp authority (chain and key), as for <see cref="Ca"/>.</summary>
    public AuthorityFiles Tsa { get; set; } = new();

    /// <summary>Which proposed Rekor entries the log takes: <c>attest</c> (default: signed by a certificate of Attest's
    /// CA, by a managed key, or by one of <see cref="RegisteredKeys"/>) or <c>any</c> (a public Rekor's behaviour).</summary>
    public string LogAccepts { get; set; } = AcceptAttest;

    /// <summary>PEM public-key files whose signatures the log also takes.</summary>
    public string[] RegisteredKeys { get; set; } = [];

    /// <summary>The URL clients reach Attest at, as the signing config names it (default: the request's own scheme and host).</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Also list the log's Rekor v2 API in <c>/v1/signing-config</c> (default: v1 only). Clients that speak v2 then
    /// log through it, and their bundles then need the TSA's timestamp for the signing time.</summary>
    public bool SigningConfigRekorV2 { get; set; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (CertificateLifetime < TimeSpan.FromMinutes(1) || CertificateLifetime > TimeSpan.FromMinutes(20))
            errors.Add("Attest:Keyless:CertificateLifetime must be between 00:01:00 and 00:20:00");
        if (LogAccepts is not (AcceptAttest or AcceptAny))
            errors.Add($"Attest:Keyless:LogAccepts must be '{AcceptAttest}' or '{AcceptAny}', not '{LogAccepts}'");
        if (PublicUrl is not null && (!Uri.TryCreate(PublicUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
            errors.Add("Attest:Keyless:PublicUrl must be an absolute http(s) URL");
        foreach (var (name, files) in new[] { ("Ca", Ca), ("Tsa", Tsa) })
            if ((files.CertificateChainFile is null) != (files.KeyFile is null))
                errors.Add($"Attest:Keyless:{name} needs both CertificateChainFile and KeyFile, or neither");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Issuers.Count; i++)
        {
            foreach (var error in Issuers[i].Validate()) errors.Add($"Attest:Keyless:Issuers[{i}]: {error}");
            if (Issuers[i].Issuer is { } issuer && !seen.Add(issuer)) errors.Add($"Attest:Keyless:Issuers[{i}]: issuer {issuer} is configured twice");
        }
        return errors;
    }
}

public sealed class AuthorityFiles
{
    public string? CertificateChainFile { get; set; }

    public string? KeyFile { get; set; }
}

/// <summary>One trusted OIDC issuer.</summary>
public sealed class OidcIssuerOptions
{
    /// <summary>Asymmetric algorithms accepted by default; <c>none</c> and HMAC are never accepted.</summary>
    public static readonly string[] DefaultAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

    /// <summary>The issuer URL, exactly as the tokens' <c>iss</c> claim.</summary>
    public string? Issuer { get; set; }

    /// <summary><c>email</c>, <c>github-workflow</c>, <c>gitlab-pipeline</c>, <c>kubernetes</c> or <c>uri</c>.</summary>
    public string? Type { get; set; }

    /// <summary>The audience tokens must name (Sigstore clients ask for <c>sigstore</c>).</summary>
    public string Audience { get; set; } = "sigstore";

    /// <summary>Where the issuer publishes its key set (fetched through the egress rules).</summary>
    public string? JwksUri { get; set; }

    /// <summary>The key set as a file (air-gapped installations); re-read when a token names an unknown key.</summary>
    public string? JwksFile { get; set; }

    /// <summary>github-workflow / gitlab-pipeline: the forge URL the identities name (default https://github.com, https://gitlab.com).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>uri: the scheme and host every token subject must have.</summary>
    public string? SubjectDomain { get; set; }

    /// <summary>Accepted signature algorithms (a subset of <see cref="DefaultAlgorithms"/>).</summary>
    public string[] Algorithms { get; set; } = [];

    /// <summary>Tolerance for clock differences on exp, nbf and iat; 0 to 300 seconds.</summary>
    public int ClockSkewSeconds { get; set; } = 60;

    public IdentityType IdentityType => FulcioIdentityMapper.TryParseType(Type, out var type) ? type : IdentityType.Email;

    public IReadOnlyList<string> EffectiveAlgorithms => Algorithms.Length > 0 ? Algorithms : DefaultAlgorithms;

    public IEnumerable<string> Validate()
    {
        if (Issuer is null || !Uri.TryCreate(Issuer, UriKind.Absolute, out var issuer) || issuer.Scheme is not ("https" or "http"))
            yield return "Issuer must be the issuer's absolute URL";
        if (!FulcioIdentityMapper.TryParseType(Type, out var type))
            yield return $"Type '{Type}' is not one of email, github-workflow, gitlab-pipeline, kubernetes, uri";
        else if (type == IdentityType.Uri && (SubjectDomain is null || !Uri.TryCreate(SubjectDomain, UriKind.Absolute, out _)))
            yield return "Type uri needs SubjectDomain (the scheme and host of every subject)";
        if (string.IsNullOrWhiteSpace(Audience)) yield return "Audience must not be empty";
        if ((JwksUri is null) == (JwksFile is null)) yield return "exactly one of JwksUri and JwksFile is required";
        if (JwksUri is not null && (!Uri.TryCreate(JwksUri, UriKind.Absolute, out var jwks) || jwks.Scheme is not ("https" or "http")))
            yield return "JwksUri must be an absolute http(s) URL";
        if (BaseUrl is not null && !Uri.TryCreate(BaseUrl, UriKind.Absolute, out _)) yield return "BaseUrl must be an absolute URL";
        foreach (var algorithm in Algorithms)
            if (!DefaultAlgorithms.Contains(algorithm, StringComparer.Ordinal))
                yield return $"algorithm '{algorithm}' is not accepted (only {string.Join(", ", DefaultAlgorithms)})";
        if (ClockSkewSeconds is < 0 or > 300) yield return "ClockSkewSeconds must be between 0 and 300";
    }
}
