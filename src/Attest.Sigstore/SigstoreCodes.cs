namespace Attest.Sigstore;

/// <summary>
/// Stable reason codes for every rejection, grouped by prefix (bundle, trustroot, tlog, timestamp, certificate, sct,
/// signature, identity, key, cosign, policy). Callers and tests match on these; a rename is a breaking change (snapshot-tested).
/// </summary>
public static class SigstoreCodes
{
    // bundle.*: the bundle document itself
    public const string BundleTooLarge = "bundle.too-large";
    public const string BundleMalformed = "bundle.malformed";
    public const string BundleMediaType = "bundle.media-type";
    public const string BundleBase64 = "bundle.base64";
    public const string BundleContent = "bundle.content";
    public const string BundleMaterial = "bundle.material";
    public const string BundleCertificateChain = "bundle.certificate-chain";
    public const string BundleCertificate = "bundle.certificate";
    public const string BundleTlogEntry = "bundle.tlog-entry";
    public const string BundleDsse = "bundle.dsse";
    public const string BundleLimit = "bundle.limit";

    // trustroot.*
    public const string TrustRootMalformed = "trustroot.malformed";
    public const string TrustRootMediaType = "trustroot.media-type";
    public const string TrustRootKey = "trustroot.key";
    public const string TrustRootValidity = "trustroot.validity";
    public const string TrustRootCertificate = "trustroot.certificate";

    // tlog.*: transparency log entries
    public const string TlogThreshold = "tlog.threshold";
    public const string TlogUnknownLog = "tlog.unknown-log";
    public const string TlogKindUnsupported = "tlog.kind.unsupported";
    public const string TlogBodyMalformed = "tlog.body.malformed";
    public const string TlogBodyKindMismatch = "tlog.body.kind-mismatch";
    public const string TlogBodySignatureMismatch = "tlog.body.signature-mismatch";
    public const string TlogBodyKeyMismatch = "tlog.body.key-mismatch";
    public const string TlogBodyDigestMismatch = "tlog.body.digest-mismatch";
    public const string TlogBodyEnvelopeMismatch = "tlog.body.envelope-mismatch";
    public const string TlogSetMissing = "tlog.set.missing";
    public const string TlogSetInvalid = "tlog.set.invalid";
    public const string TlogKeyNotValid = "tlog.key.not-valid";
    public const string TlogInclusionMissing = "tlog.inclusion.missing";
    public const string TlogInclusionInvalid = "tlog.inclusion.invalid";
    public const string TlogInclusionRootMismatch = "tlog.inclusion.root-mismatch";
    public const string TlogCheckpointMalformed = "tlog.checkpoint.malformed";
    public const string TlogCheckpointSignature = "tlog.checkpoint.signature";
    public const string TlogCheckpointOrigin = "tlog.checkpoint.origin";
    public const string TlogIntegratedTimeOutsideCertificate = "tlog.integrated-time.outside-certificate";

    // timestamp.*: RFC 3161
    public const string TimestampMalformed = "timestamp.malformed";
    public const string TimestampNotGranted = "timestamp.not-granted";
    public const string TimestampImprintMismatch = "timestamp.imprint-mismatch";
    public const string TimestampUntrusted = "timestamp.untrusted";
    public const string TimestampOutsideValidity = "timestamp.outside-validity";
    public const string TimestampThreshold = "timestamp.threshold";

    // certificate.*: the Fulcio leaf and its path
    public const string CertificateChain = "certificate.chain";
    public const string CertificateCodeSigning = "certificate.code-signing";
    public const string CertificateExtensions = "certificate.extensions";

    // sct.*
    public const string SctMissing = "sct.missing";
    public const string SctMalformed = "sct.malformed";
    public const string SctInvalid = "sct.invalid";

    // signature.*: the artifact signature
    public const string SignatureMismatch = "signature.mismatch";
    public const string SignatureDigestMismatch = "signature.digest-mismatch";
    public const string SignatureDigestUnsupported = "signature.digest-unsupported";
    public const string SignatureSubjectMismatch = "signature.subject-mismatch";
    public const string SignaturePayloadType = "signature.payload-type";
    public const string SignatureStatement = "signature.statement";

    // identity.*
    public const string IdentitySanMismatch = "identity.san-mismatch";
    public const string IdentityIssuerMismatch = "identity.issuer-mismatch";
    public const string IdentityClaimMismatch = "identity.claim-mismatch";

    // key.*: managed keys
    public const string KeyRequired = "key.required";
    public const string KeyNotAllowed = "key.not-allowed";
    public const string KeyMalformed = "key.malformed";
    public const string KeyOutsideValidity = "key.outside-validity";

    // cosign.*: legacy cosign image signatures
    public const string CosignPayload = "cosign.payload";
    public const string CosignClaimMismatch = "cosign.claim-mismatch";

    // policy.*
    public const string PolicyInvalid = "policy.invalid";
}
