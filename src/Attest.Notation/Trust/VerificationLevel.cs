namespace Attest.Notation.Trust;

/// <summary>What a failed check does: fail the verification, or be reported while verification goes on.</summary>
public enum CheckAction
{
    Enforce,
    Log,
    Skip,
}

/// <summary>
/// The Notary Project verification levels (trust-store-trust-policy.md, "Signature Verification details"): integrity is
/// always enforced; <c>strict</c> enforces authenticity, authentic timestamp and expiry; <c>permissive</c> enforces
/// authenticity and only logs the others; <c>audit</c> logs everything but integrity. <c>skip</c> is not offered: a
/// policy that skips verification should not list the authority. Overrides (custom levels) change one check.
/// Revocation is not among the checks: Attest does not fetch OCSP responses or CRLs (see SECURITY.md).
/// </summary>
public sealed record VerificationLevel(string Name, CheckAction Authenticity, CheckAction AuthenticTimestamp, CheckAction Expiry)
{
    public static readonly VerificationLevel Strict = new("strict", CheckAction.Enforce, CheckAction.Enforce, CheckAction.Enforce);
    public static readonly VerificationLevel Permissive = new("permissive", CheckAction.Enforce, CheckAction.Log, CheckAction.Log);
    public static readonly VerificationLevel Audit = new("audit", CheckAction.Log, CheckAction.Log, CheckAction.Log);

    public static VerificationLevel? Parse(string name) => name switch
    {
        "strict" => Strict,
        "permissive" => Permissive,
        "audit" => Audit,
        _ => null,
    };
}

/// <summary>When to verify a timestamp countersignature (trust policy <c>verifyTimestamp</c>).</summary>
public enum TimestampVerification
{
    /// <summary>Whenever the signature scheme is notary.x509 and a TSA trust store is configured.</summary>
    Always,

    /// <summary>Only when a certificate of the signing chain has expired at verification time.</summary>
    AfterCertExpiry,
}
