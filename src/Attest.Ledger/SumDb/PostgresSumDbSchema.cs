namespace Attest.Ledger.SumDb;

/// <summary>PostgreSQL dialect of the checksum database's tables (same shape as <see cref="SqliteSumDbSchema"/>), in the
/// ledger's database, with ENABLE ALWAYS append-only triggers as the ledger's (<see cref="PostgresSchema"/>).</summary>
internal static class PostgresSumDbSchema
{
    /// <summary>Advisory-lock key of the checksum database's sequencer (the ledger's is another).</summary>
    public const long SequencerLock = 0x4174_7465_7374_5364; // "AttestSd"

    public const string Create = """
        CREATE TABLE IF NOT EXISTS sumdb_records (
            idx            bigint PRIMARY KEY,
            path           text   NOT NULL,
            version        text   NOT NULL,
            record         bytea  NOT NULL,
            leaf_hash      bytea  NOT NULL,
            subtree_hashes bytea  NOT NULL,
            CONSTRAINT sumdb_records_module UNIQUE (path, version)
        );
        CREATE TABLE IF NOT EXISTS sumdb_checkpoints (
            size      bigint PRIMARY KEY,
            root_hash bytea  NOT NULL,
            note      text   NOT NULL
        );
        CREATE TABLE IF NOT EXISTS sumdb_head (
            id   int    PRIMARY KEY CHECK (id = 1),
            size bigint NOT NULL,
            note text   NOT NULL
        );
        -- As for the ledger's tables: a replica starting while another publishes a tree head (sumdb_head, then
        -- sumdb_checkpoints) takes the locks the trigger statements need first, in the writer's order, and waits for it
        -- instead of deadlocking with it.
        LOCK TABLE sumdb_head, sumdb_checkpoints, sumdb_records IN SHARE ROW EXCLUSIVE MODE;
        INSERT INTO sumdb_head (id, size, note) VALUES (1, -1, '') ON CONFLICT (id) DO NOTHING;

        CREATE OR REPLACE FUNCTION attest_sumdb_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'checksum database table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE OR REPLACE FUNCTION attest_sumdb_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' OR NEW.size <= OLD.size THEN
                RAISE EXCEPTION 'the checksum database head only moves forward' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$;

        CREATE OR REPLACE TRIGGER sumdb_records_append_only BEFORE UPDATE OR DELETE ON sumdb_records
            FOR EACH ROW EXECUTE FUNCTION attest_sumdb_append_only();
        CREATE OR REPLACE TRIGGER sumdb_records_no_truncate BEFORE TRUNCATE ON sumdb_records
            FOR EACH STATEMENT EXECUTE FUNCTION attest_sumdb_append_only();
        CREATE OR REPLACE TRIGGER sumdb_checkpoints_append_only BEFORE UPDATE OR DELETE ON sumdb_checkpoints
            FOR EACH ROW EXECUTE FUNCTION attest_sumdb_append_only();
        CREATE OR REPLACE TRIGGER sumdb_checkpoints_no_truncate BEFORE TRUNCATE ON sumdb_checkpoints
            FOR EACH STATEMENT EXECUTE FUNCTION attest_sumdb_append_only();
        CREATE OR REPLACE TRIGGER sumdb_head_forward_only BEFORE UPDATE OR DELETE ON sumdb_head
            FOR EACH ROW EXECUTE FUNCTION attest_sumdb_head_forward_only();
        CREATE OR REPLACE TRIGGER sumdb_head_no_truncate BEFORE TRUNCATE ON sumdb_head
            FOR EACH STATEMENT EXECUTE FUNCTION attest_sumdb_append_only();

        ALTER TABLE sumdb_records ENABLE ALWAYS TRIGGER sumdb_records_append_only;
        ALTER TABLE sumdb_records ENABLE ALWAYS TRIGGER sumdb_records_no_truncate;
        ALTER TABLE sumdb_checkpoints ENABLE ALWAYS TRIGGER sumdb_checkpoints_append_only;
        ALTER TABLE sumdb_checkpoints ENABLE ALWAYS TRIGGER sumdb_checkpoints_no_truncate;
        ALTER TABLE sumdb_head ENABLE ALWAYS TRIGGER sumdb_head_forward_only;
        ALTER TABLE sumdb_head ENABLE ALWAYS TRIGGER sumdb_head_no_truncate;
        """;

    public const string Size = "SELECT coalesce(max(idx) + 1, 0) FROM sumdb_records";

    public const string Insert = """
        INSERT INTO sumdb_records (idx, path, version, record, leaf_hash, subtree_hashes)
        VALUES (@Index, @Path, @Version, @Text, @LeafHash, @SubtreeHashes)
        """;

    public const string Hashes = "SELECT idx, leaf_hash, subtree_hashes FROM sumdb_records WHERE idx = ANY(@ids)";

    public const string Find = "SELECT idx, path, version, record, leaf_hash, subtree_hashes FROM sumdb_records WHERE path = @path AND version = @version";

    public const string Range = "SELECT idx, path, version, record, leaf_hash, subtree_hashes FROM sumdb_records WHERE idx >= @start AND idx < @end ORDER BY idx";

    public const string Head = "SELECT size AS Size, note AS Note FROM sumdb_head WHERE id = 1";

    public const string Checkpoints = "SELECT size, root_hash, note FROM sumdb_checkpoints ORDER BY size";

    public const string CheckpointAt = "SELECT size AS Size, root_hash AS RootHash, note AS Note FROM sumdb_checkpoints WHERE size = @size";

    public const string InsertCheckpoint = "INSERT INTO sumdb_checkpoints (size, root_hash, note) VALUES (@Size, @RootHash, @Note)";

    public const string AdvanceHead = "UPDATE sumdb_head SET size = @size, note = @note WHERE id = 1 AND size = @expected";
}
