using Attest.Core;
using Attest.Core.Crypto;
using Attest.Core.InToto;

namespace Attest.Sigstore.Verification;

/// <summary>
/// The artifact signature. Message signatures: the artifact's digest must equal the bundle's messageDigest (a hint, but
/// kept consistent), then the signature must verify over the artifact bytes, or over the digest when only the digest is
/// known (impossible for pure Ed25519). DSSE: the one signature must verify over the PAE, the payload must be an in-toto
/// statement, and the artifact must be one of its subjects.
/// (reference §1.1 step 9; conformance signature-mismatch, wrong-material, message-digest-mismatch, dsse-invalid-sig, rekor2-dsse-invalid-sig)
/// </summary>
internal sealed class ArtifactSignatureStep : IVerificationStep
{
    public Finding? Verify(VerificationContext context)
    {
        var key = context.SigningKey!;
        var bundle = context.Bundle;
        var schemes = Schemes(key);
        if (bundle.MessageSignature is { } message)
        {
            var algorithm = TlogEntryBodyStep.DigestAlgorithm(message.DigestAlgorithm);
            var actual = context.Artifact.DigestOf(algorithm);
            if (message.Digest is not null)
            {
                if (actual is null)
                    return VerificationContext.Finding(SigstoreCodes.SignatureDigestMismatch, $"The bundle's message digest uses {algorithm}, but the artifact is only known by another digest.");
                if (!actual.AsSpan().SequenceEqual(message.Digest))
                {
                    return VerificationContext.Finding(SigstoreCodes.SignatureDigestMismatch,
                        $"The artifact's {algorithm} digest {Convert.ToHexStringLower(actual)} differs from the bundle's message digest {Convert.ToHexStringLower(message.Digest)}.",
                        ("expected", Convert.ToHexStringLower(message.Digest)), ("found", Convert.ToHexStringLower(actual)));
                }
            }
            // The transparency log recorded a digest too; it must be the artifact's.
            foreach (var (entry, _, body) in context.Entries)
            {
                if (body.Digest is not { } logged) continue;
                var mine = context.Artifact.DigestOf(logged.Algorithm);
                if (mine is null || !mine.AsSpan().SequenceEqual(logged.Value))
                    return VerificationContext.Finding(SigstoreCodes.TlogBodyDigestMismatch, $"Transparency log entry {entry.LogIndex} records a digest that is not the artifact's.");
            }
            if (context.Artifact.Bytes is { } bytes)
            {
                foreach (var scheme in schemes)
                    if (key.VerifyData(bytes, message.Signature, scheme)) return null;
                return VerificationContext.Finding(SigstoreCodes.SignatureMismatch, "The signature does not verify over the artifact with the signing key.");
            }
            if (key.Algorithm == KeyAlgorithm.Ed25519)
                return VerificationContext.Finding(SigstoreCodes.SignatureDigestUnsupported, "An Ed25519 signature cannot be checked against a digest alone; supply the artifact file.");
            foreach (var scheme in schemes)
            {
                var hashName = PublicKey.HashOf(scheme)!.Value.Name!.ToLowerInvariant();
                var digest = context.Artifact.DigestOf(hashName);
                if (digest is not null && key.VerifyHash(digest, message.Signature, scheme)) return null;
            }
            return VerificationContext.Finding(SigstoreCodes.SignatureMismatch, "The signature does not verify over the artifact digest with the signing key.");
        }

        var envelope = bundle.DsseEnvelope!;
        var pae = envelope.PreAuthenticationEncoding();
        var verified = false;
        foreach (var scheme in schemes)
        {
            if (key.VerifyData(pae, envelope.Signatures[0].Signature, scheme))
            {
                verified = true;
                break;
            }
        }
        if (!verified) return VerificationContext.Finding(SigstoreCodes.SignatureMismatch, "The DSSE envelope's signature does not verify with the signing key.");
        if (envelope.PayloadType != Statement.PayloadType)
            return VerificationContext.Finding(SigstoreCodes.SignaturePayloadType, $"The DSSE payload type is '{envelope.PayloadType}', not an in-toto statement ({Statement.PayloadType}).");
        if (!Statement.TryParse(envelope.Payload, out var statement, out var error))
            return VerificationContext.Finding(SigstoreCodes.SignatureStatement, $"The DSSE payload is not an in-toto statement: {error}.");
        foreach (var subject in statement.Subjects)
        {
            foreach (var (algorithm, hex) in subject.Digest)
            {
                var mine = context.Artifact.DigestOf(algorithm);
                if (mine is not null && string.Equals(Convert.ToHexStringLower(mine), hex, StringComparison.OrdinalIgnoreCase)) return null;
            }
        }
        return VerificationContext.Finding(SigstoreCodes.SignatureSubjectMismatch, $"The artifact ({context.Artifact}) is not a subject of the signed in-toto statement.");
    }

    /// <summary>The schemes to try for a key: its own, and for P-384/P-521 also SHA-256 (deprecated PKIX_ECDSA_P384_SHA_256 / P521_SHA_256, still accepted by sigstore-go for v0.1–0.3 bundles).</summary>
    private static SignatureScheme[] Schemes(PublicKey key) => key.Algorithm switch
    {
        KeyAlgorithm.EcdsaP384 or KeyAlgorithm.EcdsaP521 => [key.DefaultScheme, SignatureScheme.EcdsaSha256],
        KeyAlgorithm.Rsa => [SignatureScheme.RsaPkcs1Sha256, SignatureScheme.RsaPssSha256],
        _ => [key.DefaultScheme],
    };
}
