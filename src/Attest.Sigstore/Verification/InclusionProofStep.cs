using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Attest.Core;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Sigstore.TrustRoot;
using Checkpoint = Attest.Core.Transparency.Checkpoint;
using MerkleInclusionProof = Attest.Core.Transparency.InclusionProof;

namespace Attest.Sigstore.Verification;

/// <summary>
/// Inclusion proofs: the checkpoint (a C2SP signed note) must carry a valid signature by the entry's log under the log's
/// name — Rekor v2: the host of its URL, which must also be the checkpoint origin; Rekor v1: the hostname its origin
/// line starts with (<c>hostname - treeID</c>). Lines under other names (witness cosignatures) are ignored. The RFC 6962
/// audit path must lead from the leaf (the canonicalized body) to the checkpoint's root. Rekor v1 proves against
/// inclusionProof.{logIndex, treeSize, rootHash}, which the checkpoint must commit to; Rekor v2 proves the entry's
/// logIndex against the checkpoint. Never online. Note parsing, note signatures and Merkle proofs are Attest.Core.Transparency's.
/// (reference §1.1 step 4d; conformance inclusion-proof-*, checkpoint-*, invalid-checkpoint-signature, rekor2-checkpoint-*, rekor2-no-inclusion-proof)
/// </summary>
internal sealed class InclusionProofStep : IVerificationStep
{
    // Trust material is shared by every bundle: the note verifier of a log under a name is built once.
    private static readonly ConditionalWeakTable<TransparencyLogInstance, ConcurrentDictionary<string, NoteVerifierKey?>> NoteKeys = new();

    public Finding? Verify(VerificationContext context)
    {
        foreach (var (entry, log, _) in context.Entries)
        {
            var at = $"Transparency log entry {entry.LogIndex}";
            var rekorV2 = Rekor.RekorEntryBody.IsRekorV2(entry.Kind, entry.Version);
            if (entry.InclusionProof is not { } proof)
            {
                if (rekorV2 || context.Bundle.MinorVersion >= 2)
                    return VerificationContext.Finding(SigstoreCodes.TlogInclusionMissing, $"{at} has no inclusion proof; it is required and Attest never looks inclusion up online.");
                continue;
            }
            if (proof.Checkpoint.Length == 0)
                return VerificationContext.Finding(SigstoreCodes.TlogInclusionMissing, $"{at}'s inclusion proof has no signed checkpoint, so it proves nothing.");
            if (!SignedNote.TryParse(Encoding.UTF8.GetBytes(proof.Checkpoint), out var note, out var noteError))
                return VerificationContext.Finding(SigstoreCodes.TlogCheckpointMalformed, $"{at} has a malformed checkpoint: {noteError.Message}.");
            if (!Checkpoint.TryParse(note.Text, out var checkpoint, out var checkpointError))
                return VerificationContext.Finding(SigstoreCodes.TlogCheckpointMalformed, $"{at} has a malformed checkpoint: {checkpointError.Message}.");
            if (rekorV2 && checkpoint.Origin != log.Origin)
                return VerificationContext.Finding(SigstoreCodes.TlogCheckpointOrigin, $"{at} has a checkpoint for origin '{checkpoint.Origin}', but the log is {log.Origin}.");

            var signerName = rekorV2 ? log.Origin : LogName(checkpoint.Origin);
            var key = NoteKeyFor(log, signerName);
            if (key is null)
                return VerificationContext.Finding(SigstoreCodes.TlogCheckpointSignature, $"{at}'s checkpoint cannot be checked: the log {log.BaseUrl} has a {log.Key!.Algorithm} key (Attest verifies Ed25519, ECDSA P-256 and RSA checkpoints) or '{signerName}' is not a key name.");
            if (!key.KeyHash.Equals(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(log.CheckpointKeyHint)))
                return VerificationContext.Finding(SigstoreCodes.TlogCheckpointSignature, $"{at}'s log {log.BaseUrl} has a checkpoint key id that does not match its key.");
            var verification = note.Verify([key]);
            if (!verification.IsValid)
                return VerificationContext.Finding(SigstoreCodes.TlogCheckpointSignature, $"{at}'s checkpoint carries no valid signature by {log.BaseUrl} as '{signerName}': {verification.Result.Failure!.Message}.");

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
            var result = new MerkleInclusionProof(index, size, proof.Hashes).Verify(MerkleHash.Leaf(entry.CanonicalizedBody), checkpoint.RootHash);
            if (!result.IsValid)
            {
                var failure = result.Failure!;
                return new Finding(SigstoreCodes.TlogInclusionInvalid, $"{at}'s inclusion proof does not lead to the checkpoint's root: {failure.Message}.", failure.Evidence);
            }
        }
        return null;
    }

    /// <summary>The log's key as a signed-note verifier under <paramref name="name"/>; null for key types notes do not use.</summary>
    /// <summary>
    /// The log's note key under a name. The name comes from the bundle's checkpoint, so only the first few names of a log
    /// are kept (a log has one; every bundle naming another would otherwise add an entry for the life of the process).
    /// </summary>
    private static NoteVerifierKey? NoteKeyFor(TransparencyLogInstance log, string name)
    {
        var names = NoteKeys.GetValue(log, static _ => new ConcurrentDictionary<string, NoteVerifierKey?>(StringComparer.Ordinal));
        if (names.TryGetValue(name, out var known)) return known;
        var key = NoteKey(log, name);
        if (names.Count < MaxNamesPerLog) names.TryAdd(name, key);
        return key;
    }

    private const int MaxNamesPerLog = 4;

    /// <summary>How many names of a log have a kept note key (for tests).</summary>
    internal static int KnownNoteKeyNames(TransparencyLogInstance log) => NoteKeys.TryGetValue(log, out var names) ? names.Count : 0;

    private static NoteVerifierKey? NoteKey(TransparencyLogInstance log, string name)
    {
        try
        {
            return log.Key!.Algorithm switch
            {
                KeyAlgorithm.Ed25519 => NoteVerifierKey.ForEd25519(name, log.Key.SubjectPublicKeyInfo[^Ed25519.PublicKeySize..]),
                KeyAlgorithm.EcdsaP256 => NoteVerifierKey.ForEcdsa(name, log.Key),
                // Older Rekor v1 logs sign with RSA; their hint is SHA-256(SPKI)[:4], rekor-tiles' the signed-note id.
                KeyAlgorithm.Rsa => RsaNoteKey(log, name),
                _ => null,
            };
        }
        catch (ArgumentException)
        {
            return null; // a name that cannot be a note key name
        }
    }

    private static NoteVerifierKey RsaNoteKey(TransparencyLogInstance log, string name)
    {
        var signedNoteId = NoteVerifierKey.ForRsa(name, log.Key!, signedNoteKeyId: true);
        return signedNoteId.KeyHash == System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(log.CheckpointKeyHint)
            ? signedNoteId
            : NoteVerifierKey.ForRsa(name, log.Key!);
    }

    /// <summary>The log name of a Rekor v1 origin line <c>hostname - treeID</c>.</summary>
    internal static string LogName(string origin)
    {
        var dash = origin.IndexOf(" - ", StringComparison.Ordinal);
        return dash < 0 ? origin : origin[..dash];
    }
}
