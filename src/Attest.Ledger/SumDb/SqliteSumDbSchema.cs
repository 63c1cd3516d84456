namespace Attest.Ledger.SumDb;

/// <summary>The checksum database's tables in the ledger's SQLite file: the same shape and append-only triggers as
/// the ledger's (<see cref="SqliteSchema"/>), keyed by module version, with its own checkpoint history and head.</summary>
internal static class SqliteSumDbSchema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS sumdb_records (
            idx            INTEGER PRIMARY KEY,
            path           TEXT    NOT NULL,
            version        TEXT    NOT NULL,
            record         BLOB    NOT NULL,
            leaf_hash      BLOB    NOT NULL,
            subtree_hashes BLOB    NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS sumdb_records_module ON sumdb_records (path, version);
        CREATE TRIGGER IF NOT EXISTS sumdb_records_no_update BEFORE UPDATE ON sumdb_records
        BEGIN SELECT RAISE(ABORT, 'checksum database records are append-only'); END;
        CREATE TRIGGER IF NOT EXISTS sumdb_records_no_delete BEFORE DELETE ON sumdb_records
        BEGIN SELECT RAISE(ABORT, 'checksum database records are append-only'); END;

        CREATE TABLE IF NOT EXISTS sumdb_checkpoints (
            size       INTEGER PRIMARY KEY,
            root_hash  BLOB    NOT NULL,
            note       TEXT    NOT NULL
        );
        CREATE TRIGGER IF NOT EXISTS sumdb_checkpoints_no_update BEFORE UPDATE ON sumdb_checkpoints
        BEGIN SELECT RAISE(ABORT, 'checksum database checkpoints are append-only'); END;
        CREATE TRIGGER IF NOT EXISTS sumdb_checkpoints_no_delete BEFORE DELETE ON sumdb_checkpoints
        BEGIN SELECT RAISE(ABORT, 'checksum database checkpoints are append-only'); END;

        CREATE TABLE IF NOT EXISTS sumdb_head (
            id   INTEGER PRIMARY KEY CHECK (id = 1),
            size INTEGER NOT NULL,
            note TEXT    NOT NULL
        );
        INSERT OR IGNORE INTO sumdb_head (id, size, note) VALUES (1, -1, '');
        CREATE TRIGGER IF NOT EXISTS sumdb_head_forward_only BEFORE UPDATE ON sumdb_head
        WHEN NEW.size <= OLD.size
        BEGIN SELECT RAISE(ABORT, 'the checksum database head only moves forward'); END;
        CREATE TRIGGER IF NOT EXISTS sumdb_head_no_delete BEFORE DELETE ON sumdb_head
        BEGIN SELECT RAISE(ABORT, 'the checksum database head cannot be deleted'); END;
        """;

    public const string Size = "SELECT coalesce(max(idx) + 1, 0) FROM sumdb_records";

    public const string Insert = """
        INSERT INTO sumdb_records (idx, path, version, record, leaf_hash, subtree_hashes)
        VALUES (@Index, @Path, @Version, @Text, @LeafHash, @SubtreeHashes)
        """;

    public const string Hashes = "SELECT leaf_hash, subtree_hashes FROM sumdb_records WHERE idx = @idx";

    public const string Find = "SELECT idx, path, version, record, leaf_hash, subtree_hashes FROM sumdb_records WHERE path = @path AND version = @version";

    public const string Range = "SELECT idx, path, version, record, leaf_hash, subtree_hashes FROM sumdb_records WHERE idx >= @start AND idx < @end ORDER BY idx";

    public const string Head = "SELECT size, note FROM sumdb_head WHERE id = 1";

    public const string Checkpoints = "SELECT size, root_hash, note FROM sumdb_checkpoints ORDER BY size";

    public const string CheckpointAt = "SELECT size, root_hash, note FROM sumdb_checkpoints WHERE size = @size";

    public const string InsertCheckpoint = "INSERT INTO sumdb_checkpoints (size, root_hash, note) VALUES (@Size, @RootHash, @Note)";

    public const string AdvanceHead = "UPDATE sumdb_head SET size = @size, note = @note WHERE id = 1 AND size = @expected";
}
