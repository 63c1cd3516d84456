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
        Images.Any(g => g.IsMatch(imageName)) &&
        (Namespaces.Count == 0 || (@namespace is not null && Namespaces.Any(g => g.IsMatch(@namespace)))) &&
        (Kinds.Count == 0 || Kinds.Contains(kind));
}

public enum TransparencyLogRequirement
{
    /// <summary>A verified transparency-log entry (inclusion proof or SET) is required.</summary>
    Required,

    /// <summary>Verified when present; its absence is not a failure.</summary>
    Optional,
}

/// <summary>Who may sign: a public key, or keyless (Fulcio) identities, each under a trusted root (the transparency
/// logs, timestamp authorities and CAs whose evidence counts; the embedded Sigstore public-good root by default).</summary>
public abstract record Authority(
    string Name, SourceLocation Source, TransparencyLogRequirement TransparencyLog, TrustedRoot TrustedRoot, string TrustedRootOrigin);

public sealed record KeyAuthority(
    string Name, SourceLocation Source, TransparencyLogRequirement TransparencyLog, TrustedRoot TrustedRoot, string TrustedRootOrigin,
    PublicKey Key, string KeyOrigin)
    : Authority(Name, Source, TransparencyLog, TrustedRoot, TrustedRootOrigin);

public sealed record KeylessAuthority(
    string Name, SourceLocation Source, TransparencyLogRequirement TransparencyLog, TrustedRoot TrustedRoot, string TrustedRootOrigin,
    IReadOnlyList<IdentityMatcher> Identities)
    : Authority(Name, Source, TransparencyLog, TrustedRoot, TrustedRootOrigin);

/// <summary>A Notary Project (Notation) authority: signatures attached as referrers of artifact type
/// <c>application/vnd.cncf.notary.signature</c>, verified against a trust policy mapped from Notation's
/// (trust stores, trusted identities, verification level, timestamp verification). The Sigstore fields of
/// <see cref="Authority"/> do not apply to it.</summary>
public sealed record NotationAuthority(string Name, SourceLocation Source, Notation.Verification.NotationTrustPolicy TrustPolicy, IReadOnlyList<string> TrustStoreFiles)
    : Authority(Name, Source, TransparencyLogRequirement.Optional, TrustedRoot.PublicGood, "not used by Notary signatures");

/// <summary>An accepted certificate identity: issuer and subject (SAN), each exact or a regular expression.</summary>
public sealed record IdentityMatcher(string? Issuer, Regex? IssuerRegExp, string? Subject, Regex? SubjectRegExp)
{
    public bool Matches(string? issuer, string? subject) =>
        issuer is not null && subject is not null &&
        (Issuer is null || string.Equals(Issuer, issuer, StringComparison.Ordinal)) &&
        (IssuerRegExp is null || IssuerRegExp.IsMatch(issuer)) &&
        (Subject is null || string.Equals(Subject, subject, StringComparison.Ordinal)) &&
        (SubjectRegExp is null || SubjectRegExp.IsMatch(subject));

    public override string ToString() =>
        $"issuer {(Issuer ?? $"~/{IssuerRegExp}/")} subject {(Subject ?? $"~/{SubjectRegExp}/")}";

    /// <summary>The same identity for the Sigstore verifier (which also matches regular expressions in full).</summary>
    public Sigstore.Verification.CertificateIdentity ToCertificateIdentity() => new()
    {
        Issuer = Issuer,
        IssuerRegex = IssuerRegExp?.ToString(),
        SubjectAlternativeName = Subject,
        SubjectAlternativeNameRegex = SubjectRegExp?.ToString(),
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

public enum ConditionOperator
{
    Equals,
    Matches,
    OneOf,
    Exists,

    /// <summary>A CEL expression over the predicate (<see cref="PredicateCondition.Program"/>), true to pass.</summary>
    Cel,
}

/// <summary>A check on one value of the predicate, addressed by a JSON pointer (RFC 6901), or a CEL expression.</summary>
public sealed record PredicateCondition(string Path, ConditionOperator Operator, string? Value, Regex? Pattern, IReadOnlyList<string>? Values, Cel.CelProgram? Program = null)
{
    public override string ToString() => Operator switch
    {
        ConditionOperator.Equals => $"{Path} equals '{Value}'",
        ConditionOperator.Matches => $"{Path} matches /{Pattern}/",
        ConditionOperator.OneOf => $"{Path} is one of [{string.Join(", ", Values!)}]",
        ConditionOperator.Cel => $"cel '{Program!.Source}'",
        _ => $"{Path} exists",
    };
}

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
