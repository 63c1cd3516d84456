namespace Attest.Ledger;

internal static class SqliteSchema
{
    /// <summary>Idempotent schema. Entries are the Merkle leaves in index order; the triggers make the
    /// table append-only for every client that does not first drop them.</summary>
    public const string Create = """
        CREATE TABLE IF NOT EXISTS entries (
            idx         INTEGER PRIMARY KEY,
            kind        TEXT    NOT NULL,
            recorded_at TEXT    NOT NULL,
            body        BLOB    NOT NULL,
            leaf_hash   BLOB    NOT NULL
        );
        CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
        BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
        CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
        BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
        """;
}
