namespace Attest.Ledger;

internal static class SqliteSchema
{
    /// <summary>Idempotent schema. Entries are the Merkle leaves in index order; nodes hold every perfect subtree
    /// hash above the leaves, inserted in completion order (rowid), so proofs are O(log n) point reads and an audit
    /// can stream them beside a replay. Triggers make entries, nodes and checkpoint history append-only for every
    /// client that does not first drop them; checkpoint_head is the one mutable row, moved only by compare-and-swap.</summary>
    public const string Create = """
        CREATE TABLE IF NOT EXISTS entries (
            idx         INTEGER PRIMARY KEY,
            kind        TEXT    NOT NULL,
            recorded_at TEXT    NOT NULL,
            image       TEXT,
            digest      TEXT,
            namespace   TEXT,
            verdict     TEXT,
            client      TEXT,
            body        BLOB    NOT NULL,
            leaf_hash   BLOB    NOT NULL
        );
        CREATE INDEX IF NOT EXISTS entries_recorded_at ON entries (recorded_at);
        CREATE INDEX IF NOT EXISTS entries_digest ON entries (digest) WHERE digest IS NOT NULL;
        CREATE INDEX IF NOT EXISTS entries_kind ON entries (kind, idx);
        CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
        BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
        CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
        BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;

        CREATE TABLE IF NOT EXISTS nodes (
            level INTEGER NOT NULL,
            idx   INTEGER NOT NULL,
            hash  BLOB    NOT NULL,
            UNIQUE (level, idx)
        );
        CREATE TRIGGER IF NOT EXISTS nodes_no_update BEFORE UPDATE ON nodes
        BEGIN SELECT RAISE(ABORT, 'ledger nodes are append-only'); END;
        CREATE TRIGGER IF NOT EXISTS nodes_no_delete BEFORE DELETE ON nodes
        BEGIN SELECT RAISE(ABORT, 'ledger nodes are append-only'); END;

        CREATE TABLE IF NOT EXISTS checkpoints (
            size       INTEGER PRIMARY KEY,
            root_hash  BLOB    NOT NULL,
            note       TEXT    NOT NULL
        );
        CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
        CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;

        CREATE TABLE IF NOT EXISTS checkpoint_head (
            id   INTEGER PRIMARY KEY CHECK (id = 1),
            size INTEGER NOT NULL,
            note TEXT    NOT NULL
        );
        INSERT OR IGNORE INTO checkpoint_head (id, size, note) VALUES (1, -1, '');
        CREATE TRIGGER IF NOT EXISTS checkpoint_head_forward_only BEFORE UPDATE ON checkpoint_head
        WHEN NEW.size <= OLD.size
        BEGIN SELECT RAISE(ABORT, 'the checkpoint head only moves forward'); END;
        CREATE TRIGGER IF NOT EXISTS checkpoint_head_no_delete BEFORE DELETE ON checkpoint_head
        BEGIN SELECT RAISE(ABORT, 'the checkpoint head cannot be deleted'); END;
        """;

    public const string Size = "SELECT coalesce(max(idx) + 1, 0) FROM entries";

    public const string InsertEntry = """
        INSERT INTO entries (idx, kind, recorded_at, image, digest, namespace, verdict, client, body, leaf_hash)
        VALUES (@Index, @Kind, @RecordedAt, @Image, @Digest, @Namespace, @Verdict, @Client, @Body, @LeafHash)
        """;

    public const string InsertNode = "INSERT INTO nodes (level, idx, hash) VALUES (@Level, @Index, @Hash)";

    public const string LeafHash = "SELECT leaf_hash FROM entries WHERE idx = @idx";

    public const string NodeHash = "SELECT hash FROM nodes WHERE level = @level AND idx = @idx";

    public const string EntriesRange = "SELECT idx, body, leaf_hash FROM entries WHERE idx >= @start AND idx < @end ORDER BY idx";

    public const string NodesInWriteOrder = "SELECT level, idx, hash FROM nodes ORDER BY rowid";

    public const string Head = "SELECT size, note FROM checkpoint_head WHERE id = 1";

    public const string Checkpoints = "SELECT size, root_hash, note FROM checkpoints ORDER BY size";

    public const string CheckpointAt = "SELECT size, root_hash, note FROM checkpoints WHERE size = @size";

    public const string InsertCheckpoint = "INSERT INTO checkpoints (size, root_hash, note) VALUES (@Size, @RootHash, @Note)";

    /// <summary>Compare-and-swap: moves the head only from the size the writer last saw.</summary>
    public const string AdvanceHead = "UPDATE checkpoint_head SET size = @size, note = @note WHERE id = 1 AND size = @expected";

    public const string Query = """
        SELECT idx, body, leaf_hash FROM entries
        WHERE idx > @AfterIndex
          AND (@Kind IS NULL OR kind = @Kind)
          AND (@Image IS NULL OR image = @Image)
          AND (@Digest IS NULL OR digest = @Digest)
          AND (@Namespace IS NULL OR namespace = @Namespace)
          AND (@Verdict IS NULL OR verdict = @Verdict)
          AND (@Client IS NULL OR client = @Client)
          AND (@From IS NULL OR recorded_at >= @From)
          AND (@To IS NULL OR recorded_at < @To)
        ORDER BY idx
        LIMIT @Limit
        """;
}
