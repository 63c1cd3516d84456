using Attest.Core;
using Attest.Notation.Envelopes;
using Attest.Notation.Trust;

namespace Attest.Notation.Verification;

/// <summary>What a trust policy statement of the Notary Project says, for one authority: the trust store, the trusted
/// identities, the verification level and when to verify timestamps.</summary>
public sealed record NotationTrustPolicy(
    TrustStore TrustStore,
    IReadOnlyList<TrustedIdentity> TrustedIdentities,
    VerificationLevel Level,
    TimestampVerification Timestamping = TimestampVerification.Always);

/// <summary>The descriptor of the artifact being verified; media type and size are compared when known.</summary>
public sealed record ExpectedArtifact(Digest Digest, string? MediaType = null, long? Size = null);

/// <summary>The outcome: verified or the first enforced failure, plus the failures the level only logs.</summary>
public sealed record NotationResult(
    bool Verified,
    Finding? Failure,
    IReadOnlyList<Finding> Logged,
    TargetArtifact? Target = null,
    string? Signer = null,
    SigningScheme? Scheme = null)
{
    public static NotationResult Fail(Finding failure, IReadOnlyList<Finding>? logged = null) => new(false, failure, logged ?? []);
}

/// <summary>
/// Verifies one Notary Project signature against one trust policy, in the order of trust-store-trust-policy.md
/// ("Signature Verification: Steps"): integrity (always enforced: the envelope, its content type, unknown critical
/// attributes, the chain's requirements and order, the algorithm matching the signing key, the signature, the chain's
/// validity at the signing time, and the payload naming exactly the expected artifact), then authenticity (the chain
/// reaches the trust store of the signing scheme's type; the signing certificate's subject is a trusted identity),
/// expiry, and the authentic timestamp (a verified RFC 3161 countersignature, or the signing authority's authentic
/// signing time, within the chain's validity; without a timestamp, the chain must be valid now). Each of the last
/// three is enforced or only logged as the level says. Revocation is not checked (offline; see SECURITY.md).
/// </summary>
public static class NotationVerifier
{
    public static NotationResult Verify(string mediaType, byte[] envelopeBytes, ExpectedArtifact expected, NotationTrustPolicy policy, DateTimeOffset now) =>
        NotationEnvelope.TryParse(mediaType, envelopeBytes, out var envelope, out var failure)
            ? Verify(envelope, expected, policy, now)
            : NotationResult.Fail(failure);

    public static NotationResult Verify(SignatureEnvelope envelope, ExpectedArtifact expected, NotationTrustPolicy policy, DateTimeOffset now)
    {
        // --- integrity: enforced at every level ---------------------------------------------------------------
        if (envelope.ContentType != NotationMediaTypes.Payload)
            return NotationResult.Fail(new Finding(NotationCodes.HeaderInvalid, $"the payload content type '{envelope.ContentType}' is not {NotationMediaTypes.Payload}"));
        if (envelope.ExtendedAttributes.FirstOrDefault(a => a.Critical) is { } unknown)
        {
            var plugin = unknown.Key.StartsWith("io.cncf.notary.verificationPlugin", StringComparison.Ordinal)
                ? " (it asks for a Notation verification plugin, which Attest does not run)"
                : "";
            return NotationResult.Fail(new Finding(NotationCodes.CriticalUnknown,
                $"the signature has the critical attribute '{unknown.Key}', which Attest does not understand{plugin}; the specification requires failing"));
        }
        var chain = CertificateRequirements.Read(envelope.CertificateChain, out var problem);
        if (chain is null) return NotationResult.Fail(new Finding(NotationCodes.ChainInvalid, $"the certificate chain is invalid: {problem}"));
        if (CertificateRequirements.CheckOrderedChain(chain, ChainPurpose.CodeSigning) is { } requirement)
            return NotationResult.Fail(new Finding(NotationCodes.ChainInvalid, $"the certificate chain is invalid: {requirement}"));
        var leaf = chain[0];
        var keyAlgorithm = NotationAlgorithms.ForCertificate(leaf.Certificate, out problem);
        if (keyAlgorithm is null) return NotationResult.Fail(new Finding(NotationCodes.SignatureInvalid, $"the signing certificate cannot make Notary signatures: {problem}"));
        if (keyAlgorithm != envelope.Algorithm)
            return NotationResult.Fail(new Finding(NotationCodes.SignatureInvalid,
                $"the envelope says {NotationAlgorithms.JwsName(envelope.Algorithm)} but the signing key's algorithm is {NotationAlgorithms.JwsName(keyAlgorithm.Value)}"));
        if (!NotationAlgorithms.Verify(leaf.Certificate, envelope.Algorithm, envelope.SignedBytes, envelope.Signature))
            return NotationResult.Fail(new Finding(NotationCodes.SignatureInvalid, "the signature does not verify with the signing certificate's key (payload or headers altered, or another key)"));
        var claimedTime = envelope.Scheme == SigningScheme.X509 ? envelope.SigningTime!.Value : envelope.AuthenticSigningTime!.Value;
        if (CertificateRequirements.InvalidAt(chain, claimedTime) is { } notAtSigning)
            return NotationResult.Fail(new Finding(NotationCodes.CertificateExpired, $"the certificate chain was not valid at the signing time: {notAtSigning}"));
        if (!NotationPayload.TryParse(envelope.Payload, out var target, out var payloadFailure)) return NotationResult.Fail(payloadFailure);
        if (!target.Digest.Equals(expected.Digest))
            return NotationResult.Fail(new Finding(NotationCodes.PayloadMismatch, $"the signature is for {target.Digest}, not for {expected.Digest}"));
        if (expected.MediaType is { } mediaType && target.MediaType != mediaType)
            return NotationResult.Fail(new Finding(NotationCodes.PayloadMismatch, $"the signature names media type '{target.MediaType}', but the artifact is '{mediaType}'"));
        if (expected.Size is { } size && target.Size != size)
            return NotationResult.Fail(new Finding(NotationCodes.PayloadMismatch, $"the signature names size {target.Size}, but the artifact is {size} bytes"));

        var logged = new List<Finding>();
        bool Check(CheckAction action, Finding? finding, out NotationResult? failed)
        {
            failed = null;
            if (finding is null || action == CheckAction.Skip) return true;
            if (action == CheckAction.Log)
            {
                logged.Add(finding);
                return true;
            }
            failed = NotationResult.Fail(finding, logged);
            return false;
        }

        // --- authenticity ----------------------------------------------------------------------------------------
        var storeType = envelope.Scheme == SigningScheme.X509 ? TrustStoreType.CertificateAuthority : TrustStoreType.SigningAuthority;
        Finding? authenticity = null;
        if (policy.TrustStore.FindTrusted(storeType, chain.Select(c => c.Certificate)) is null)
        {
            authenticity = new Finding(NotationCodes.ChainUntrusted,
                $"the certificate chain (root '{chain[^1].Subject}') does not reach the {(storeType == TrustStoreType.CertificateAuthority ? "ca" : "signingAuthority")} trust store");
        }
        else if (!policy.TrustedIdentities.Any(i => i.Matches(leaf.Certificate.SubjectName)))
        {
            authenticity = new Finding(NotationCodes.IdentityUntrusted,
                $"the signing certificate's subject '{leaf.Subject}' is not a trusted identity ({string.Join("; ", policy.TrustedIdentities)})");
        }
        if (!Check(policy.Level.Authenticity, authenticity, out var failure)) return failure!;

        // --- expiry ----------------------------------------------------------------------------------------------
        Finding? expiry = envelope.Expiry is { } expires && now >= expires
            ? new Finding(NotationCodes.SignatureExpired, $"the signature expired at {expires:O}")
            : null;
        if (!Check(policy.Level.Expiry, expiry, out failure)) return failure!;

        // --- authentic timestamp ---------------------------------------------------------------------------------
        if (!Check(policy.Level.AuthenticTimestamp, AuthenticTimestamp(envelope, chain, policy, now), out failure)) return failure!;

        return new NotationResult(true, null, logged, target, leaf.Subject, envelope.Scheme);
    }

    private static Finding? AuthenticTimestamp(
        SignatureEnvelope envelope, IReadOnlyList<CertificateRequirements.ChainCertificate> chain, NotationTrustPolicy policy, DateTimeOffset now)
    {
        if (envelope.Scheme == SigningScheme.X509SigningAuthority)
        {
            return CertificateRequirements.InvalidAt(chain, envelope.AuthenticSigningTime!.Value) is { } problem
                ? new Finding(NotationCodes.CertificateExpired, $"the certificate chain was not valid at the authentic signing time: {problem}")
                : null;
        }
        var expiredNow = CertificateRequirements.InvalidAt(chain, now);
        var triggered = policy.TrustStore.Has(TrustStoreType.TimestampAuthority) &&
            (policy.Timestamping == TimestampVerification.Always || expiredNow is not null);
        if (!triggered)
        {
            return expiredNow is null
                ? null
                : new Finding(NotationCodes.CertificateExpired, $"the certificate chain is not valid now and no trusted timestamp says when it signed: {expiredNow}");
        }
        if (envelope.TimestampToken is null)
            return new Finding(NotationCodes.TimestampInvalid, "no timestamp countersignature is in the envelope, but the policy verifies timestamps (a tsa trust store is configured)");
        var timestamp = TimestampVerifier.Verify(envelope.TimestampToken, envelope.Signature, policy.TrustStore, out var failure);
        if (timestamp is null) return failure;
        var outside = CertificateRequirements.InvalidAt(chain, timestamp.Lower) ?? CertificateRequirements.InvalidAt(chain, timestamp.Upper);
        return outside is not null
            ? new Finding(NotationCodes.CertificateExpired,
                $"the timestamp ({timestamp.Lower:O} to {timestamp.Upper:O}) is not within the certificate chain's validity: {outside}")
            : null;
    }
}
