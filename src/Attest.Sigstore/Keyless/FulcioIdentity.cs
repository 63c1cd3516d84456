using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Attest.Sigstore.Keyless;

/// <summary>How an OIDC issuer's tokens map to a certificate identity (Fulcio's issuer types).</summary>
public enum IdentityType
{
    /// <summary>A person or service account with a verified e-mail address: e-mail SAN.</summary>
    Email,

    /// <summary>GitHub Actions: URI SAN of the workflow ref, and the GitHub claims as Fulcio extensions.</summary>
    GitHubWorkflow,

    /// <summary>GitLab CI: URI SAN of the pipeline definition ref, and the GitLab claims as Fulcio extensions.</summary>
    GitLabPipeline,

    /// <summary>A Kubernetes service account token: URI SAN <c>https://kubernetes.io/namespaces/NS/serviceaccounts/SA</c>.</summary>
    Kubernetes,

    /// <summary>A workload whose <c>sub</c> is itself a URI under a configured domain: URI SAN = sub.</summary>
    Uri,
}

/// <summary>
/// The identity a Fulcio-style certificate states: the OIDC issuer, the subject (the SAN, an e-mail address or a URI),
/// the extension values by arc under 1.3.6.1.4.1.57264.1 (issuer, build and source claims), and the strings a proof of
/// possession may sign (Fulcio's principal name, and what sigstore-js signs: the verified e-mail when present, else sub).
/// </summary>
public sealed record FulcioIdentity(
    string Issuer, string Subject, bool SubjectIsEmail, IReadOnlyDictionary<int, string> Extensions, IReadOnlyList<string> Challenges)
{
    /// <summary>Extension arcs that carry raw UTF-8 (the deprecated 1–6); the others are DER UTF8Strings.</summary>
    public static bool IsRawArc(int arc) => arc is >= 1 and <= 6;
}

/// <summary>
/// Maps the claims of a validated OIDC token to the identity Fulcio would certify (fulcio config/identity/config.yaml
/// ci-issuer-metadata and pkg/identity/*): the SAN template and the extension templates of each issuer type.
/// </summary>
public static class FulcioIdentityMapper
{
    /// <summary>Longest claim value copied into a certificate.</summary>
    public const int MaxClaimLength = 1024;

    private const string KubernetesSanPrefix = "https://kubernetes.io/namespaces/";

    /// <param name="baseUrl">The forge's URL for github-workflow / gitlab-pipeline (default https://github.com, https://gitlab.com).</param>
    /// <param name="subjectDomain">For <see cref="IdentityType.Uri"/>: the scheme and host every subject must share.</param>
    public static bool TryMap(IdentityType type, string issuer, JsonElement claims, string? baseUrl, Uri? subjectDomain,
        [NotNullWhen(true)] out FulcioIdentity? identity, [NotNullWhen(false)] out string? error)
    {
        identity = null;
        if (claims.ValueKind != JsonValueKind.Object) { error = "the token's claims are not a JSON object"; return false; }
        var extensions = new SortedDictionary<int, string> { [1] = issuer, [8] = issuer };
        var sub = Claim(claims, "sub");
        if (sub is null) { error = "the token has no 'sub' claim"; return false; }
        string subject;
        var isEmail = false;
        var challenges = new List<string> { sub };
        switch (type)
        {
            case IdentityType.Email:
                var email = Claim(claims, "email");
                if (email is null) { error = "the token has no 'email' claim (issuer type email)"; return false; }
                if (!EmailVerified(claims)) { error = "the token's e-mail address is not verified ('email_verified' is not true)"; return false; }
                if (!IsPlausibleEmail(email)) { error = "the token's 'email' claim is not an e-mail address"; return false; }
                subject = email;
                isEmail = true;
                challenges.Insert(0, email);
                break;
            case IdentityType.GitHubWorkflow:
                if (!GitHub(claims, (baseUrl ?? "https://github.com").TrimEnd('/'), extensions, out subject!, out error)) return Fail(error, out error);
                break;
            case IdentityType.GitLabPipeline:
                if (!GitLab(claims, (baseUrl ?? "https://gitlab.com").TrimEnd('/'), extensions, out subject!, out error)) return Fail(error, out error);
                break;
            case IdentityType.Kubernetes:
                if (!claims.TryGetProperty("kubernetes.io", out var k8s) || k8s.ValueKind != JsonValueKind.Object
                    || Claim(k8s, "namespace") is not { } ns
                    || !k8s.TryGetProperty("serviceaccount", out var sa) || Claim(sa, "name") is not { } name)
                {
                    error = "the token has no 'kubernetes.io' claim with namespace and serviceaccount.name";
                    return false;
                }
                if (!IsPathSegment(ns) || !IsPathSegment(name)) { error = "the token's namespace or service account name is not a DNS label"; return false; }
                subject = $"{KubernetesSanPrefix}{ns}/serviceaccounts/{name}";
                break;
            case IdentityType.Uri:
                if (subjectDomain is null) { error = "issuer type uri needs a subject domain"; return false; }
                if (!System.Uri.TryCreate(sub, UriKind.Absolute, out var uri) || !string.Equals(uri.Scheme, subjectDomain.Scheme, StringComparison.OrdinalIgnoreCase)
                    || !string.Equals(uri.Host, subjectDomain.Host, StringComparison.OrdinalIgnoreCase))
                {
                    error = $"the token's subject is not a URI under {subjectDomain.Scheme}://{subjectDomain.Host}";
                    return false;
                }
                subject = sub;
                break;
            default:
                error = $"issuer type {type} is not supported";
                return false;
        }
        identity = new FulcioIdentity(issuer, subject, isEmail, extensions, challenges);
        error = null;
        return true;
    }

    private static bool GitHub(JsonElement c, string url, SortedDictionary<int, string> x, out string? subject, out string? error)
    {
        subject = null;
        if (Claim(c, "job_workflow_ref") is not { } jobWorkflowRef) { error = "the token has no 'job_workflow_ref' claim (issuer type github-workflow)"; return false; }
        subject = $"{url}/{jobWorkflowRef}";
        Put(x, 2, Claim(c, "event_name"));
        Put(x, 3, Claim(c, "sha"));
        Put(x, 4, Claim(c, "workflow"));
        Put(x, 5, Claim(c, "repository"));
        Put(x, 6, Claim(c, "ref"));
        Put(x, 9, subject);
        Put(x, 10, Claim(c, "job_workflow_sha"));
        Put(x, 11, Claim(c, "runner_environment"));
        Put(x, 12, Claim(c, "repository") is { } repository ? $"{url}/{repository}" : null);
        Put(x, 13, Claim(c, "sha"));
        Put(x, 14, Claim(c, "ref"));
        Put(x, 15, Claim(c, "repository_id"));
        Put(x, 16, Claim(c, "repository_owner") is { } owner ? $"{url}/{owner}" : null);
        Put(x, 17, Claim(c, "repository_owner_id"));
        Put(x, 18, Claim(c, "workflow_ref") is { } workflowRef ? $"{url}/{workflowRef}" : null);
        Put(x, 19, Claim(c, "workflow_sha"));
        Put(x, 20, Claim(c, "event_name"));
        if (Claim(c, "repository") is { } repo && Claim(c, "run_id") is { } runId && Claim(c, "run_attempt") is { } attempt)
            Put(x, 21, $"{url}/{repo}/actions/runs/{runId}/attempts/{attempt}");
        Put(x, 22, Claim(c, "repository_visibility"));
        Put(x, 23, Claim(c, "environment"));
        error = null;
        return true;
    }

    private static bool GitLab(JsonElement c, string url, SortedDictionary<int, string> x, out string? subject, out string? error)
    {
        subject = null;
        if (Claim(c, "ci_config_ref_uri") is not { } configRef) { error = "the token has no 'ci_config_ref_uri' claim (issuer type gitlab-pipeline)"; return false; }
        subject = $"https://{configRef}";
        Put(x, 9, subject);
        Put(x, 10, Claim(c, "ci_config_sha"));
        Put(x, 11, Claim(c, "runner_environment"));
        Put(x, 12, Claim(c, "project_path") is { } project ? $"{url}/{project}" : null);
        Put(x, 13, Claim(c, "sha"));
        if (Claim(c, "ref") is { } gitRef && Claim(c, "ref_type") is { } refType)
            Put(x, 14, $"refs/{(refType == "branch" ? "heads" : "tags")}/{gitRef}");
        Put(x, 15, Claim(c, "project_id"));
        Put(x, 16, Claim(c, "namespace_path") is { } ns ? $"{url}/{ns}" : null);
        Put(x, 17, Claim(c, "namespace_id"));
        Put(x, 18, subject);
        Put(x, 19, Claim(c, "ci_config_sha"));
        Put(x, 20, Claim(c, "pipeline_source"));
        if (Claim(c, "project_path") is { } path && Claim(c, "job_id") is { } job) Put(x, 21, $"{url}/{path}/-/jobs/{job}");
        Put(x, 22, Claim(c, "project_visibility"));
        Put(x, 23, Claim(c, "environment"));
        error = null;
        return true;
    }

    private static bool Fail(string? reason, out string error)
    {
        error = reason ?? "the token's claims cannot be mapped";
        return false;
    }

    private static void Put(SortedDictionary<int, string> extensions, int arc, string? value)
    {
        if (!string.IsNullOrEmpty(value)) extensions[arc] = value;
    }

    /// <summary>A string (or number, as some issuers send ids) claim, bounded; null when absent or of another type.</summary>
    private static string? Claim(JsonElement claims, string name)
    {
        if (claims.ValueKind != JsonValueKind.Object || !claims.TryGetProperty(name, out var value)) return null;
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        return text is { Length: > 0 and <= MaxClaimLength } && !text.Any(char.IsControl) ? text : null;
    }

    private static bool EmailVerified(JsonElement claims) =>
        claims.TryGetProperty("email_verified", out var verified)
        && (verified.ValueKind == JsonValueKind.True
            || (verified.ValueKind == JsonValueKind.String && string.Equals(verified.GetString(), "true", StringComparison.OrdinalIgnoreCase)));

    private static bool IsPlausibleEmail(string email)
    {
        var at = email.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at == email.LastIndexOf('@') && at < email.Length - 1 && !email.Any(char.IsWhiteSpace);
    }

    private static bool IsPathSegment(string text) =>
        text.Length is > 0 and <= 253 && text.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch is '-' or '.');

    /// <summary>The configuration name of a type (<c>github-workflow</c> …).</summary>
    public static string NameOf(IdentityType type) => type switch
    {
        IdentityType.Email => "email",
        IdentityType.GitHubWorkflow => "github-workflow",
        IdentityType.GitLabPipeline => "gitlab-pipeline",
        IdentityType.Kubernetes => "kubernetes",
        _ => "uri",
    };

    public static bool TryParseType(string? name, out IdentityType type)
    {
        type = name?.ToLowerInvariant() switch
        {
            "email" => IdentityType.Email,
            "github-workflow" => IdentityType.GitHubWorkflow,
            "gitlab-pipeline" => IdentityType.GitLabPipeline,
            "kubernetes" => IdentityType.Kubernetes,
            "uri" => IdentityType.Uri,
            _ => (IdentityType)(-1),
        };
        return (int)type >= 0;
    }
}
