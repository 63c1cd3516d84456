namespace Attest.Ledger;

internal static class SqliteSchema
{
    /// <summary>Idempotent schema. Entries are the Merkle leaves in index order; each row also holds the hashes of
    /// the perfect subtrees its append completed, so every stored node is a primary-key read (proofs are O(log n)
    /// point reads) and one insert per entry writes both. Triggers make entries and checkpoint history append-only
    /// for every client that does not first drop them; checkpoint_head is the one mutable row, moved only by
    /// compare-and-swap.</summary>
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
            leaf_hash   BLOB    NOT NULL,
            subtree_hashes BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS entries_recorded_at ON entries (recorded_at);
        CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
        BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
        CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
        BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;

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

    /// <summary>Columns added after the first release, each with the statement that adds it to an older ledger
    /// (SQLite has no ADD COLUMN IF NOT EXISTS); <see cref="Indexes"/> runs after them.</summary>
    public static readonly (string Column, string Add)[] AddedColumns =
    [
        ("identity", "ALTER TABLE entries ADD COLUMN identity TEXT"),
    ];

    public const string HasColumn = "SELECT count(*) FROM pragma_table_info('entries') WHERE name = @name";

    public const string Indexes = LedgerSearchIndexes.Statements + "CREATE INDEX IF NOT EXISTS entries_identity ON entries (identity) WHERE identity IS NOT NULL";

    public const string Size = "SELECT coalesce(max(idx) + 1, 0) FROM entries";

    public const string InsertEntry = """
        INSERT INTO entries (idx, kind, recorded_at, image, digest, namespace, verdict, client, identity, body, leaf_hash, subtree_hashes)
        VALUES (@Index, @Kind, @RecordedAt, @Image, @Digest, @Namespace, @Verdict, @Client, @Identity, @Body, @LeafHash, @SubtreeHashes)
        """;

    public const string Hashes = "SELECT leaf_hash, subtree_hashes FROM entries WHERE idx = @idx";

    /// <summary>What every entry read selects: the row, its Merkle data and its search columns (checked against the body).</summary>
    public const string EntryColumns = "idx, body, leaf_hash, subtree_hashes, kind, recorded_at, image, digest, namespace, verdict, client";

    public const string EntriesRange = "SELECT " + EntryColumns + " FROM entries WHERE idx >= @start AND idx < @end ORDER BY idx";

    public const string Head = "SELECT size, note FROM checkpoint_head WHERE id = 1";

    public const string Checkpoints = "SELECT size, root_hash, note FROM checkpoints ORDER BY size";

    public const string CheckpointAt = "SELECT size, root_hash, note FROM checkpoints WHERE size = @size";

    public const string InsertCheckpoint = "INSERT INTO checkpoints (size, root_hash, note) VALUES (@Size, @RootHash, @Note)";

    /// <summary>Compare-and-swap: moves the head only from the size the writer last saw.</summary>
    public const string AdvanceHead = "UPDATE checkpoint_head SET size = @size, note = @note WHERE id = 1 AND size = @expected";

    public const string Query = """
        SELECT idx, body, leaf_hash, subtree_hashes, kind, recorded_at, image, digest, namespace, verdict, client FROM entries
        WHERE idx > @AfterIndex AND idx < @BeforeIndex
          AND (@Kind IS NULL OR kind = @Kind)
          AND (@Image IS NULL OR image = @Image)
          AND (@Repository IS NULL OR image = @Repository OR substr(image, 1, length(@Repository) + 1) IN (@Repository || ':', @Repository || '@'))
          AND (@Digest IS NULL OR digest = @Digest)
          AND (@Namespace IS NULL OR namespace = @Namespace)
          AND (@Verdict IS NULL OR verdict = @Verdict)
          AND (@Client IS NULL OR client = @Client)
          AND (@Identity IS NULL OR identity = @Identity)
          AND (@From IS NULL OR recorded_at >= @From)
          AND (@To IS NULL OR recorded_at < @To)
        ORDER BY idx
        LIMIT @Limit
        """;

    /// <summary>Transparency-log entries by one indexed column (<see cref="ILedgerStore.LookupAsync"/>).</summary>
    public const string ByLeafHash = "SELECT idx, body, leaf_hash, subtree_hashes FROM entries WHERE leaf_hash = @value" + LedgerSearchIndexes.TransparencyLogOnly + " ORDER BY idx LIMIT @limit";

    public const string ByDigest = "SELECT idx, body, leaf_hash, subtree_hashes FROM entries WHERE digest = @value" + LedgerSearchIndexes.TransparencyLogOnly + " ORDER BY idx LIMIT @limit";

    public const string ByIdentity = "SELECT idx, body, leaf_hash, subtree_hashes FROM entries WHERE identity = @value" + LedgerSearchIndexes.TransparencyLogOnly + " ORDER BY idx LIMIT @limit";

    /// <summary>The lookup statement for <paramref name="column"/>.</summary>
    public static string Lookup(LedgerLookup column) => column switch
    {
        LedgerLookup.LeafHash => ByLeafHash,
        LedgerLookup.Digest => ByDigest,
        _ => ByIdentity,
    };

    /// <summary><see cref="Query"/> newest first (the same filters; the order cannot be a parameter).</summary>
    public static readonly string QueryNewestFirst = Query.Replace("ORDER BY idx", "ORDER BY idx DESC", StringComparison.Ordinal);
}
