namespace Attest.Core.Transparency;

/// <summary>
/// Stable reason codes for transparency-log evidence (Merkle proofs, signed notes, checkpoints). Callers and
/// tests match on these; renaming one is a breaking change.
/// </summary>
public static class TransparencyCodes
{
    // tlog.hash.*: malformed hash inputs
    public const string HashSize = "tlog.hash.size";

    // tlog.inclusion.*: RFC 9162 §2.1.3.2
    public const string InclusionIndexOutOfRange = "tlog.inclusion.index-out-of-range";
    public const string InclusionProofSize = "tlog.inclusion.proof-size";
    public const string InclusionRootMismatch = "tlog.inclusion.root-mismatch";

    // tlog.consistency.*: RFC 9162 §2.1.4.2
    public const string ConsistencySizeOrder = "tlog.consistency.size-order";
    public const string ConsistencyProofSize = "tlog.consistency.proof-size";
    public const string ConsistencyOldRootMismatch = "tlog.consistency.old-root-mismatch";
    public const string ConsistencyNewRootMismatch = "tlog.consistency.new-root-mismatch";

    // note.*: c2sp.org/signed-note
    public const string NoteTooLarge = "note.too-large";
    public const string NoteMalformed = "note.malformed";
    public const string NoteTooManySignatures = "note.too-many-signatures";
    public const string NoteSignatureInvalid = "note.signature.invalid";
    public const string NoteUnverified = "note.unverified";
    public const string NoteKeyMalformed = "note.key.malformed";
    public const string NoteKeyUnsupported = "note.key.unsupported";
    public const string NoteKeyHashMismatch = "note.key.hash-mismatch";

    // checkpoint.*: c2sp.org/tlog-checkpoint
    public const string CheckpointMalformed = "checkpoint.malformed";
    public const string CheckpointOriginMismatch = "checkpoint.origin-mismatch";
}
