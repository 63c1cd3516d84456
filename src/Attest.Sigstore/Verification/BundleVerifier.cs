using Attest.Core;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.TrustRoot;

namespace Attest.Sigstore.Verification;

/// <summary>
/// Verifies Sigstore bundles against one trusted root, in the order of the Sigstore client specification (§4) and
/// sigstore-go's <c>Verify</c>: signing material → transparency log (body, SET, inclusion proof) → RFC 3161 timestamps →
/// observer threshold → certificate path at each verified time → SCTs → artifact signature → identity. The first
/// failure ends verification (fail closed). Thread-safe; create once per trusted root.
/// </summary>
public sealed class BundleVerifier
{
    private readonly TrustedRoot _trustedRoot;
    private readonly VerifierOptions _options;
    private readonly SigstoreLimits _limits;
    private readonly TimeProvider _time;

    private static readonly IVerificationStep[] Steps =
    [
        // Which key signed, and whether that kind of material is what the policy asks for.
        new SigningMaterialStep(),
        // §4 "Transparency log": each entry from a trusted log, recording exactly this bundle.
        new TlogEntryBodyStep(),
        // Rekor v1 inclusion promise: signed entry timestamp over the canonical entry.
        new SignedEntryTimestampStep(),
        // Inclusion proof up to a checkpoint signed by the log.
        new InclusionProofStep(),
        // §4 "Timestamps": RFC 3161 over the signature, chained to a trusted TSA at genTime.
        new TimestampAuthorityStep(),
        // Enough observers vouch for the signing time.
        new ObserverTimestampStep(),
        // §4 "Certificate": Fulcio path valid at every verified time, code signing EKU.
        new CertificateChainStep(),
        // Embedded SCTs signed by a trusted CT log.
        new SctStep(),
        // Managed keys: used within their validity.
        new KeyValidityStep(),
        // §4 "Signature": over the artifact (or its digest), or over the DSSE PAE with the artifact as a subject.
        new ArtifactSignatureStep(),
        // §4 "Identity": SAN and issuer as the policy expects.
        new IdentityStep(),
    ];

    public BundleVerifier(TrustedRoot trustedRoot, VerifierOptions? options = null, TimeProvider? time = null, SigstoreLimits? limits = null)
    {
        _trustedRoot = trustedRoot;
        _options = options ?? VerifierOptions.Default;
        _limits = limits ?? SigstoreLimits.Default;
        _time = time ?? TimeProvider.System;
        var errors = _options.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid verifier options: " + string.Join("; ", errors), nameof(options));
    }

    /// <summary>Parses and verifies bundle JSON.</summary>
    public VerificationResult Verify(ReadOnlySpan<byte> bundleJson, Artifact artifact, ArtifactPolicy policy)
    {
        if (!Bundle.TryParse(bundleJson, out var bundle, out var finding, _limits)) return VerificationResult.Fail(finding);
        return Verify(bundle, artifact, policy);
    }

    public VerificationResult Verify(Bundle bundle, Artifact artifact, ArtifactPolicy policy)
    {
        var policyErrors = policy.Validate();
        if (policyErrors.Count > 0)
            return VerificationResult.Fail(new Finding(SigstoreCodes.PolicyInvalid, "The verification policy is invalid: " + string.Join("; ", policyErrors) + "."));
        var context = new VerificationContext(bundle, artifact, policy, _trustedRoot, _options, _limits, _time);
        foreach (var step in Steps)
        {
            var failure = step.Verify(context);
            if (failure is not null) return VerificationResult.Fail(failure);
        }
        return new VerificationResult
        {
            Timestamps = context.Timestamps,
            SigningCertificateDer = bundle.LeafFields?.RawData,
            SubjectAlternativeName = context.MatchedSan,
            Issuer = context.MatchedIssuer,
        };
    }
}
