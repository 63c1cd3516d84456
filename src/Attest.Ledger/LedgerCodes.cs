namespace Attest.Ledger;

/// <summary>Stable reason codes for ledger audits; callers and tests match on these.</summary>
public static class LedgerCodes
{
    // ledger.entry.*: a row of the entries table
    public const string EntryMissing = "ledger.entry.missing";
    public const string EntryMalformed = "ledger.entry.malformed";
    public const string EntryIndexMismatch = "ledger.entry.index-mismatch";
    public const string EntryLeafHashMismatch = "ledger.entry.leaf-hash-mismatch";
    public const string EntryColumnMismatch = "ledger.entry.column-mismatch";

    // ledger.record.*: a row of the checksum database's records table
    public const string RecordMalformed = "ledger.record.malformed";
    public const string RecordColumnMismatch = "ledger.record.column-mismatch";
    public const string RecordDuplicate = "ledger.record.duplicate";

    // ledger.node.*: stored Merkle subtree hashes
    public const string NodeMismatch = "ledger.node.mismatch";

    // ledger.checkpoint.*: signed checkpoints
    public const string CheckpointSignature = "ledger.checkpoint.signature";
    public const string CheckpointRowMismatch = "ledger.checkpoint.row-mismatch";
    public const string CheckpointRootMismatch = "ledger.checkpoint.root-mismatch";
    public const string CheckpointBeyondLog = "ledger.checkpoint.beyond-log";
    public const string CheckpointHeadMismatch = "ledger.checkpoint.head-mismatch";
    public const string CheckpointInconsistent = "ledger.checkpoint.inconsistent";
    public const string CheckpointNone = "ledger.checkpoint.none";
    public const string CheckpointRollback = "ledger.checkpoint.rollback";

    // ledger.witness.*: witness cosignatures (c2sp.org/tlog-cosignature)
    public const string CheckpointUnwitnessed = "ledger.witness.quorum-not-met";
    public const string CosignatureInvalid = "ledger.witness.cosignature-invalid";
}
