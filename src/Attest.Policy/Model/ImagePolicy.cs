using System.Text.RegularExpressions;
using Attest.Core.Crypto;
using Attest.Sigstore.TrustRoot;

namespace Attest.Policy.Model;

public enum PolicyMode
{
    /// <summary>Failures deny admission.</summary>
    Enforce,

    /// <summary>Failures admit with a warning shown to the user.</summary>
    Warn,

    /// <summary>Failures are only recorded in the ledger.</summary>
    Audit,
}

/// <summary>An ImagePolicy document: which workloads it covers and what their images must carry.</summary>
public sealed record ImagePolicy(
    string Name,
    SourceLocation Source,
    ImageMatch Match,
    PolicyMode Mode,
    IReadOnlyDictionary<string, Authority> Authorities,
    SignatureRequirement? Signatures,
    IReadOnlyList<AttestationRequirement> Attestations,
    PlatformRequirement? Platforms = null,
    VulnerabilityRequirement? Vulnerabilities = null);

/// <summary>Platforms a multi-arch image must offer: the index (whose digest is what the other requirements verify)
/// must list a manifest for each, and with <see cref="Signed"/> each such manifest must also meet the policy's
/// signature requirement on its own digest.</summary>
public sealed record PlatformRequirement(SourceLocation Source, IReadOnlyList<PlatformName> Required, bool Signed);

/// <summary><c>os/architecture[/variant]</c>; without a variant any variant of the architecture matches.</summary>
public sealed record PlatformName(string Os, string Architecture, string? Variant)
{
    public static bool TryParse(string text, out PlatformName? platform)
    {
        platform = null;
        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0 || p.Length > 64 || !p.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' or '.')))
            return false;
        platform = new PlatformName(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
        return true;
    }

    public bool Matches(string os, string architecture, string? variant) =>
        os == Os && architecture == Architecture && (Variant is null || Variant == variant);

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}

/// <summary>Images (globs over normalized <c>registry/repository</c>), namespaces (globs) and workload kinds.
/// Empty namespaces or kinds mean all.</summary>
public sealed record ImageMatch(IReadOnlyList<Glob> Images, IReadOnlyList<Glob> Namespaces, IReadOnlySet<string> Kinds)
{
    public bool Matches(string imageName, string? @namespace, string kind) =>
        MatchesImage(imageName) &&
        (Namespaces.Count == 0 || (@namespace is not null && Namespaces.Any(g => g.IsMatch(@namespace)))) &&
        (Kinds.Count == 0 || Kinds.Contains(kind));

    /// <summary>Whether the image name alone is covered (whatever the namespace and kind): what decides which
    /// evidence is collected for an image, so that collection does not depend on who asks.</summary>
    public bool MatchesImage(string imageName) => Images.Any(g => g.IsMatch(imageName));
}

public enum TransparencyLogRequirement
{
    /// <summary>A verified transparency-log entry (inclusion proof or SET) is required.</summary>
    Required,

    /// <summary>Verified when present; its absence is not a failure.</summary>
    Optional,
}

/// <summary>A trusted root as a policy names it: the parsed root, where it came from (<c>default</c> for the
/// embedded Sigstore public-good root, else the file), and the SHA-256 of its content, which is what parsed trust
/// material and warm verifiers are shared by (the same content reloaded is the same root).</summary>
public sealed record PolicyTrustedRoot(TrustedRoot Root, string Origin, string Digest)
{
    public static PolicyTrustedRoot PublicGood { get; } = new(TrustedRoot.PublicGood, "default", "default");
}

/// <summary>Who may sign: a public key, or keyless (Fulcio) identities, each under a trusted root (the transparency
/// logs, timestamp authorities and CAs whose evidence counts; the embedded Sigstore public-good root by default).
/// New kinds of authority (Notation trust stores) are further subclasses with a verifier of their own.</summary>
public abstract record Authority(string Name, SourceLocation Source, TransparencyLogRequirement TransparencyLog, PolicyTrustedRoot TrustedRoot);

public sealed record KeyAuthority(
    string Name, SourceLocation Source, TransparencyLogRequirement TransparencyLog, PolicyTrustedRoot TrustedRoot, PublicKey Key, string KeyOrigin)
    : Authority(Name, Source, TransparencyLog, TrustedRoot);

public sealed record KeylessAuthority(
    string Name, SourceLocation Source, TransparencyLogRequirement TransparencyLog, PolicyTrustedRoot TrustedRoot, IReadOnlyList<IdentityMatcher> Identities)
    : Authority(Name, Source, TransparencyLog, TrustedRoot);

/// <summary>A Notary Project (Notation) authority: signatures attached as referrers of artifact type
/// <c>application/vnd.cncf.notary.signature</c>, verified against a trust policy mapped from Notation's (trust stores,
/// trusted identities, verification level, timestamp verification). The Sigstore fields of <see cref="Authority"/> do
/// not apply to it; its trust store files are part of the policy revision like keys and trusted roots.</summary>
public sealed record NotationAuthority(string Name, SourceLocation Source, Notation.Verification.NotationTrustPolicy TrustPolicy)
    : Authority(Name, Source, TransparencyLogRequirement.Optional, PolicyTrustedRoot.PublicGood);

/// <summary>An accepted certificate identity: issuer and subject (SAN), each exact or a regular expression, and the
/// Fulcio extension claims (by arc) the certificate must carry exactly.</summary>
public sealed record IdentityMatcher(string? Issuer, Regex? IssuerRegExp, string? Subject, Regex? SubjectRegExp)
{
    /// <summary>Claims by Fulcio extension arc (12 sourceRepositoryURI, 14 sourceRepositoryRef …), exact values.</summary>
    public IReadOnlyDictionary<int, string> Claims { get; init; } = new Dictionary<int, string>();

    /// <summary>Whether a certificate's issuer and subject are this identity. An expression that runs out of time
    /// does not match (fail closed).</summary>
    public bool Matches(string? issuer, string? subject)
    {
        if (issuer is null || subject is null) return false;
        try
        {
            return (Issuer is null || string.Equals(Issuer, issuer, StringComparison.Ordinal)) &&
                   (IssuerRegExp is null || IssuerRegExp.IsMatch(issuer)) &&
                   (Subject is null || string.Equals(Subject, subject, StringComparison.Ordinal)) &&
                   (SubjectRegExp is null || SubjectRegExp.IsMatch(subject));
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    public override string ToString() =>
        $"issuer {(Issuer ?? $"~/{IssuerRegExp}/")} subject {(Subject ?? $"~/{SubjectRegExp}/")}" +
        (Claims.Count == 0 ? "" : " with " + string.Join(", ", Claims.Select(c => $"{ClaimName(c.Key)} {c.Value}")));

    /// <summary>The policy name of a Fulcio extension arc: <c>sourceRepositoryURI</c> for 12.</summary>
    public static string ClaimName(int arc)
    {
        var name = Attest.Core.X509.FulcioExtensions.NameOf(arc);
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    /// <summary>Claims a policy may require: the Fulcio extensions 2–6 and 9–24 by their camel-case names.</summary>
    public static readonly IReadOnlyDictionary<string, int> ClaimArcs =
        Enumerable.Range(2, 23).Where(a => a is not (7 or 8)).ToDictionary(ClaimName, a => a, StringComparer.Ordinal);

    /// <summary>The same identity for the Sigstore verifier (which also matches regular expressions in full).</summary>
    public Sigstore.Verification.CertificateIdentity ToCertificateIdentity() => new()
    {
        Issuer = Issuer,
        IssuerRegex = IssuerRegExp?.ToString(),
        SubjectAlternativeName = Subject,
        SubjectAlternativeNameRegex = SubjectRegExp?.ToString(),
        Extensions = Claims,
    };
}

/// <summary>At least <see cref="Threshold"/> of the authorities must each have a verified signature on the image.</summary>
public sealed record SignatureRequirement(int Threshold, IReadOnlyList<string> AuthorityNames);

/// <summary>An attestation the image must carry: an in-toto statement of a predicate type (prefix match), signed by
/// one of the named authorities, whose predicate meets every condition (and the SBOM rule, for SBOM predicates).</summary>
public sealed record AttestationRequirement(
    string Name,
    SourceLocation Source,
    string PredicateType,
    IReadOnlyList<string> AuthorityNames,
    IReadOnlyList<PredicateCondition> Conditions,
    Sbom.Checks.SbomPolicy? Sbom);

/// <summary>A first-class vulnerability gate: the newest scan attestation of <see cref="PredicateType"/> signed by one of
/// the authorities must meet <see cref="Rule"/>; VEX attestations from <see cref="Vex"/> clear what they declare
/// not_affected or fixed.</summary>
public sealed record VulnerabilityRequirement(
    SourceLocation Source,
    string PredicateType,
    IReadOnlyList<string> AuthorityNames,
    Sbom.Vulnerabilities.VulnerabilityRule Rule,
    VexRequirement? Vex);

/// <summary>Where VEX statements come from: attestations of a predicate type signed by one of the authorities.</summary>
public sealed record VexRequirement(string PredicateType, IReadOnlyList<string> AuthorityNames);
