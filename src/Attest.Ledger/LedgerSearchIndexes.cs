namespace Attest.Ledger;

/// <summary>
/// The search indexes both stores build on every open, and the condition of the transparency-log lookups that use them.
/// A leaf hash is random: indexing every entry's would put each append into a random page of that index, a cost on the
/// admission path out of all proportion to the one lookup that needs it (a Rekor entry by UUID), so only
/// transparency-log entries are indexed by it. The digest index carries the kind, so a lookup of an artifact's log
/// entries goes straight to them, never through the admission decisions about the same digest.
/// </summary>
internal static class LedgerSearchIndexes
{
    /// <summary><see cref="LedgerEntryKinds.TransparencyLog"/> in SQL.</summary>
    private const string TransparencyLogKinds =
        "('" + LedgerEntryKinds.SignatureIssued + "', '" + LedgerEntryKinds.AttestationIssued + "', '" + LedgerEntryKinds.IntotoLogged + "')";

    /// <summary>Idempotent; an older ledger's full leaf-hash and digest-only indexes are replaced (built once, on the
    /// first open after the upgrade).</summary>
    public const string Statements =
        "DROP INDEX IF EXISTS entries_leaf_hash;\n" +
        "DROP INDEX IF EXISTS entries_digest;\n" +
        "CREATE INDEX IF NOT EXISTS entries_tlog_leaf_hash ON entries (leaf_hash) WHERE kind IN " + TransparencyLogKinds + ";\n" +
        "CREATE INDEX IF NOT EXISTS entries_digest_kind ON entries (digest, kind) WHERE digest IS NOT NULL;\n";

    /// <summary>What every transparency-log lookup adds to its condition: the partial index's own text, so the query
    /// planner sees that the lookup's condition implies the index's.</summary>
    public const string TransparencyLogOnly = " AND kind IN " + TransparencyLogKinds;
}
