namespace Attest.Sbom;

/// <summary>
/// Stable reason codes of every SBOM finding, grouped by prefix: <c>sbom.input.*</c> (the bytes cannot be used),
/// <c>sbom.format.*</c> / <c>sbom.attestation.*</c> (not an SBOM we read), <c>sbom.schema.*</c> (structurally invalid),
/// and the policy checks (<c>sbom.license.*</c>, <c>sbom.component.*</c>, <c>sbom.ntia.*</c>, <c>sbom.subject.*</c>,
/// <c>sbom.age.*</c>, <c>sbom.limits.*</c>). A snapshot test lists them, so a rename is a visible diff.
/// </summary>
public static class SbomCodes
{
    // Unusable input: the document could not be read at all.
    public const string InputTooLarge = "sbom.input.too-large";
    public const string InputInvalidUtf8 = "sbom.input.invalid-utf8";
    public const string InputInvalidJson = "sbom.input.invalid-json";
    public const string InputTooDeep = "sbom.input.too-deep";
    public const string InputDuplicateKey = "sbom.input.duplicate-key";
    public const string InputStringTooLong = "sbom.input.string-too-long";
    public const string InputTooManyElements = "sbom.input.too-many-elements";
    public const string FormatUnknown = "sbom.format.unknown";
    public const string FormatUnsupportedVersion = "sbom.format.unsupported-version";
    public const string AttestationUnsupportedPredicate = "sbom.attestation.unsupported-predicate";
    public const string AttestationMalformed = "sbom.attestation.malformed";

    // Structure: the document was read but violates its specification (each finding carries the JSON path).
    public const string SchemaViolation = "sbom.schema.violation";

    // Policy checks.
    public const string LicenseDenied = "sbom.license.denied";
    public const string LicenseNotAllowed = "sbom.license.not-allowed";
    public const string LicenseUnparseable = "sbom.license.unparseable";
    public const string ComponentDenied = "sbom.component.denied";
    public const string NtiaSupplier = "sbom.ntia.supplier";
    public const string NtiaName = "sbom.ntia.name";
    public const string NtiaVersion = "sbom.ntia.version";
    public const string NtiaIdentifier = "sbom.ntia.identifier";
    public const string NtiaDependency = "sbom.ntia.dependency";
    public const string NtiaAuthor = "sbom.ntia.author";
    public const string NtiaTimestamp = "sbom.ntia.timestamp";
    public const string SubjectMismatch = "sbom.subject.mismatch";
    public const string AgeExceeded = "sbom.age.exceeded";
    public const string AgeUnknown = "sbom.age.unknown";
    public const string AgeInFuture = "sbom.age.in-future";
    public const string LimitsComponents = "sbom.limits.components";
    public const string LimitsBytes = "sbom.limits.bytes";

    /// <summary>True for codes that mean "this input cannot be evaluated" (CLI exit code 2), as opposed to findings
    /// about a document that was read.</summary>
    public static bool IsUnusableInput(string code) =>
        code.StartsWith("sbom.input.", StringComparison.Ordinal)
        || code.StartsWith("sbom.format.", StringComparison.Ordinal)
        || code.StartsWith("sbom.attestation.", StringComparison.Ordinal);
}
