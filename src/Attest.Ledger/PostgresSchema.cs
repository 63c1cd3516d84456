namespace Attest.Ledger;

/// <summary>PostgreSQL dialect of the ledger schema and statements (same shape as <see cref="SqliteSchema"/>).</summary>
internal static class PostgresSchema
{
    /// <summary>Advisory-lock key of the sequencer: one committing writer at a time across all replicas.</summary>
    public const long SequencerLock = 0x4174_7465_7374_4c67; // "AttestLg"

    /// <summary>Idempotent schema. The append-only triggers are ENABLE ALWAYS: with session_replication_role =
    /// replica (settable by superusers) ordinarily enabled triggers do not fire; ALWAYS triggers still do.</summary>
    public const string Create = """
        CREATE TABLE IF NOT EXISTS entries (
            idx            bigint PRIMARY KEY,
            kind           text   NOT NULL,
            recorded_at    text   NOT NULL,
            image          text,
            digest         text,
            namespace      text,
            verdict        text,
            client         text,
            body           bytea  NOT NULL,
            leaf_hash      bytea  NOT NULL,
            subtree_hashes bytea  NOT NULL
        );
        CREATE TABLE IF NOT EXISTS checkpoints (
            size      bigint PRIMARY KEY,
            root_hash bytea  NOT NULL,
            note      text   NOT NULL
        );
        CREATE TABLE IF NOT EXISTS checkpoint_head (
            id   int    PRIMARY KEY CHECK (id = 1),
            size bigint NOT NULL,
            note text   NOT NULL
        );
        -- A replica (re)starting while another writes: the index, column and trigger statements below lock these
        -- tables, and a writer publishing a checkpoint locks checkpoint_head, then checkpoints. Taking all three now,
        -- before any of those statements and in the writer's order, makes start-up wait for that writer instead of
        -- deadlocking with it.
        LOCK TABLE checkpoint_head, checkpoints, entries IN SHARE ROW EXCLUSIVE MODE;
        INSERT INTO checkpoint_head (id, size, note) VALUES (1, -1, '') ON CONFLICT (id) DO NOTHING;
        CREATE INDEX IF NOT EXISTS entries_recorded_at ON entries (recorded_at);
        """ + "\n" + LedgerSearchIndexes.Statements + """
        -- Added by a later version: altered only when missing, since ALTER TABLE takes an exclusive lock even when
        -- there is nothing to add, and would deadlock with a replica committing entries.
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                           WHERE table_schema = current_schema() AND table_name = 'entries' AND column_name = 'identity') THEN
                ALTER TABLE entries ADD COLUMN identity text;
            END IF;
        END $$;
        CREATE INDEX IF NOT EXISTS entries_identity ON entries (identity) WHERE identity IS NOT NULL;

        CREATE OR REPLACE FUNCTION attest_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'ledger table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE OR REPLACE FUNCTION attest_ledger_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' OR NEW.size <= OLD.size THEN
                RAISE EXCEPTION 'the checkpoint head only moves forward' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$;

        CREATE OR REPLACE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
            FOR EACH ROW EXECUTE FUNCTION attest_ledger_append_only();
        CREATE OR REPLACE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
            FOR EACH STATEMENT EXECUTE FUNCTION attest_ledger_append_only();
        CREATE OR REPLACE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
            FOR EACH ROW EXECUTE FUNCTION attest_ledger_append_only();
        CREATE OR REPLACE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
            FOR EACH STATEMENT EXECUTE FUNCTION attest_ledger_append_only();
        CREATE OR REPLACE TRIGGER checkpoint_head_forward_only BEFORE UPDATE OR DELETE ON checkpoint_head
            FOR EACH ROW EXECUTE FUNCTION attest_ledger_head_forward_only();
        CREATE OR REPLACE TRIGGER checkpoint_head_no_truncate BEFORE TRUNCATE ON checkpoint_head
            FOR EACH STATEMENT EXECUTE FUNCTION attest_ledger_append_only();

        ALTER TABLE entries ENABLE ALWAYS TRIGGER entries_append_only;
        ALTER TABLE entries ENABLE ALWAYS TRIGGER entries_no_truncate;
        ALTER TABLE checkpoints ENABLE ALWAYS TRIGGER checkpoints_append_only;
        ALTER TABLE checkpoints ENABLE ALWAYS TRIGGER checkpoints_no_truncate;
        ALTER TABLE checkpoint_head ENABLE ALWAYS TRIGGER checkpoint_head_forward_only;
        ALTER TABLE checkpoint_head ENABLE ALWAYS TRIGGER checkpoint_head_no_truncate;
        """;

    /// <summary>Serializes schema creation between replicas starting at once.</summary>
    public const string SchemaLock = "SELECT pg_advisory_xact_lock(18423916753286227)"; // "AttestS"

    public const string LockSequencer = "SELECT pg_advisory_xact_lock(@key)";

    public const string Size = "SELECT coalesce(max(idx) + 1, 0) FROM entries";

    /// <summary>One statement per batch: arrays unnested into rows.</summary>
    public const string InsertEntries = """
        INSERT INTO entries (idx, kind, recorded_at, image, digest, namespace, verdict, client, identity, body, leaf_hash, subtree_hashes)
        SELECT * FROM unnest(@idx, @kind, @recorded_at, @image, @digest, @namespace, @verdict, @client, @identity, @body, @leaf_hash, @subtree_hashes)
        """;

    public const string Hashes = "SELECT idx, leaf_hash, subtree_hashes FROM entries WHERE idx = ANY(@ids)";

    public const string EntriesRange = "SELECT idx, body, leaf_hash, subtree_hashes, kind, recorded_at, image, digest, namespace, verdict, client FROM entries WHERE idx >= @start AND idx < @end ORDER BY idx";

    public const string Head = "SELECT size AS Size, note AS Note FROM checkpoint_head WHERE id = 1";

    public const string Checkpoints = "SELECT size, root_hash, note FROM checkpoints ORDER BY size";

    public const string CheckpointAt = "SELECT size AS Size, root_hash AS RootHash, note AS Note FROM checkpoints WHERE size = @size";

    public const string InsertCheckpoint = "INSERT INTO checkpoints (size, root_hash, note) VALUES (@Size, @RootHash, @Note)";

    public const string AdvanceHead = "UPDATE checkpoint_head SET size = @size, note = @note WHERE id = 1 AND size = @expected";

    public const string Query = """
        SELECT idx, body, leaf_hash, subtree_hashes, kind, recorded_at, image, digest, namespace, verdict, client FROM entries
        WHERE idx > @AfterIndex AND idx < @BeforeIndex
          AND (CAST(@Kind AS text) IS NULL OR kind = @Kind)
          AND (CAST(@Image AS text) IS NULL OR image = @Image)
          AND (CAST(@Repository AS text) IS NULL OR image = @Repository
               OR substr(image, 1, length(CAST(@Repository AS text)) + 1) IN (CAST(@Repository AS text) || ':', CAST(@Repository AS text) || '@'))
          AND (CAST(@Digest AS text) IS NULL OR digest = @Digest)
          AND (CAST(@Namespace AS text) IS NULL OR namespace = @Namespace)
          AND (CAST(@Verdict AS text) IS NULL OR verdict = @Verdict)
          AND (CAST(@Client AS text) IS NULL OR client = @Client)
          AND (CAST(@Identity AS text) IS NULL OR identity = @Identity)
          AND (CAST(@From AS text) IS NULL OR recorded_at >= @From)
          AND (CAST(@To AS text) IS NULL OR recorded_at < @To)
        ORDER BY idx
        LIMIT @Limit
        """;

    /// <summary>Transparency-log entries by one indexed column (<see cref="ILedgerStore.LookupAsync"/>).</summary>
    public const string ByLeafHash = "SELECT idx AS Idx, body AS Body, leaf_hash AS LeafHash, subtree_hashes AS SubtreeHashes FROM entries WHERE leaf_hash = @value" + LedgerSearchIndexes.TransparencyLogOnly + " ORDER BY idx LIMIT @limit";

    public const string ByDigest = "SELECT idx AS Idx, body AS Body, leaf_hash AS LeafHash, subtree_hashes AS SubtreeHashes FROM entries WHERE digest = @value" + LedgerSearchIndexes.TransparencyLogOnly + " ORDER BY idx LIMIT @limit";

    public const string ByIdentity = "SELECT idx AS Idx, body AS Body, leaf_hash AS LeafHash, subtree_hashes AS SubtreeHashes FROM entries WHERE identity = @value" + LedgerSearchIndexes.TransparencyLogOnly + " ORDER BY idx LIMIT @limit";

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
