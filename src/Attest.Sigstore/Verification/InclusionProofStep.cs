using Attest.Core;
using Attest.Core.Crypto;
using Attest.Sigstore.Rekor;
using Attest.Sigstore.TrustRoot;

namespace Attest.Sigstore.Verification;

/// <summary>
/// Inclusion proofs: the checkpoint must parse and carry a valid signature by the entry's log under the log's name
/// (Rekor v2: the host of its URL, which must also be the origin; Rekor v1: the hostname its origin line starts with);
/// other signature lines such as witness cosignatures are ignored; the RFC 6962 audit path must lead from the leaf (the canonicalized body) to the checkpoint's root.
/// Rekor v1 proves against inclusionProof.{logIndex, treeSize, rootHash}, which the checkpoint must commit to; Rekor v2
/// proves entry logIndex against the checkpoint's size and root. Never online.
/// (reference §1.1 step 4d; conformance inclusion-proof-*, checkpoint-*, invalid-checkpoint-signature, rekor2-checkpoint-*, rekor2-no-inclusion-proof)
/// </summary>
internal sealed class InclusionProofStep : IVerificationStep
{
    public Finding? Verify(VerificationContext context)
    {
        foreach (var (entry, log, _) in context.Entries)
        {
            var at = $"Transparency log entry {entry.LogIndex}";
            var rekorV2 = entry.Version == "0.0.2" && entry.Kind == "hashedrekord";
            if (entry.InclusionProof is not { } proof)
            {
                if (rekorV2 || context.Bundle.MinorVersion >= 2)
                    return VerificationContext.Finding(SigstoreCodes.TlogInclusionMissing, $"{at} has no inclusion proof; it is required and Attest never looks inclusion up online.");
                continue;
            }
            if (proof.Checkpoint.Length == 0)
                return VerificationContext.Finding(SigstoreCodes.TlogInclusionMissing, $"{at}'s inclusion proof has no signed checkpoint, so it proves nothing.");
            if (!Checkpoint.TryParse(proof.Checkpoint, context.Limits.MaxCheckpointSignatures, out var checkpoint, out var error))
                return VerificationContext.Finding(SigstoreCodes.TlogCheckpointMalformed, $"{at} has a malformed checkpoint: {error}.");
            if (rekorV2 && checkpoint.Origin != log.Origin)
                return VerificationContext.Finding(SigstoreCodes.TlogCheckpointOrigin, $"{at} has a checkpoint for origin '{checkpoint.Origin}', but the log is {log.Origin}.");
            // Rekor v2 signs as the host of its URL; Rekor v1 signs as its configured hostname, which its origin line
            // repeats ("<hostname> - <tree id>"). Lines under any other name (witnesses) are ignored.
            var signerName = rekorV2 ? log.Origin : LogName(checkpoint.Origin);
            var signed = false;
            foreach (var signature in checkpoint.Signatures)
            {
                if (!signature.KeyHint.AsSpan().SequenceEqual(log.CheckpointKeyHint)) continue;
                if (signature.Name != signerName) continue;
                if (VerifyNoteSignature(log, checkpoint.SignedText, signature.Signature))
                {
                    signed = true;
                    break;
                }
            }
            if (!signed)
                return VerificationContext.Finding(SigstoreCodes.TlogCheckpointSignature, $"{at}'s checkpoint carries no valid signature by {log.BaseUrl}.");

            long index, size;
            if (rekorV2)
            {
                index = entry.LogIndex;
                size = checkpoint.Size;
                if (!proof.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash) || proof.TreeSize != checkpoint.Size)
                    return VerificationContext.Finding(SigstoreCodes.TlogInclusionRootMismatch, $"{at}'s inclusion proof is for a different tree than its signed checkpoint.");
                if (proof.LogIndex != entry.LogIndex)
                    return VerificationContext.Finding(SigstoreCodes.TlogInclusionInvalid, $"{at}'s inclusion proof is for index {proof.LogIndex}, not the entry's {entry.LogIndex}.");
            }
            else
            {
                index = proof.LogIndex;
                size = proof.TreeSize;
                if (!proof.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash) || proof.TreeSize != checkpoint.Size)
                {
                    return VerificationContext.Finding(SigstoreCodes.TlogInclusionRootMismatch,
                        $"{at}'s inclusion proof root {Convert.ToHexStringLower(proof.RootHash)} (size {proof.TreeSize}) differs from its signed checkpoint's root {Convert.ToHexStringLower(checkpoint.RootHash)} (size {checkpoint.Size}).",
                        ("expected", Convert.ToHexStringLower(checkpoint.RootHash)), ("found", Convert.ToHexStringLower(proof.RootHash)));
                }
            }
            var computed = MerkleInclusion.RootFromProof(index, size, MerkleInclusion.HashLeaf(entry.CanonicalizedBody), proof.Hashes);
            if (computed is null)
                return VerificationContext.Finding(SigstoreCodes.TlogInclusionInvalid, $"{at}'s inclusion proof has {proof.Hashes.Count} hashes, the wrong number for index {index} in a tree of {size}.");
            if (!computed.AsSpan().SequenceEqual(checkpoint.RootHash))
            {
                return VerificationContext.Finding(SigstoreCodes.TlogInclusionInvalid,
                    $"{at}'s inclusion proof leads to root {Convert.ToHexStringLower(computed)}, not the checkpoint's {Convert.ToHexStringLower(checkpoint.RootHash)}.",
                    ("expected", Convert.ToHexStringLower(checkpoint.RootHash)), ("found", Convert.ToHexStringLower(computed)));
            }
        }
        return null;
    }

    /// <summary>The log name of a Rekor v1 origin line <c>hostname - treeID</c>.</summary>
    internal static string LogName(string origin)
    {
        var dash = origin.IndexOf(" - ", StringComparison.Ordinal);
        return dash < 0 ? origin : origin[..dash];
    }

    /// <summary>Ed25519 signs the note text itself; ECDSA and RSA sign its SHA-256.</summary>
    private static bool VerifyNoteSignature(TransparencyLogInstance log, byte[] text, byte[] signature)
    {
        var key = log.Key!;
        return key.Algorithm == KeyAlgorithm.Ed25519
            ? key.VerifyData(text, signature, SignatureScheme.Ed25519)
            : key.VerifyData(text, signature, key.Algorithm == KeyAlgorithm.Rsa ? SignatureScheme.RsaPkcs1Sha256 : SignatureScheme.EcdsaSha256);
    }
}
