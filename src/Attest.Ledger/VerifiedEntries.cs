using System.Text;
using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>
/// What a query may hand out: only rows that verify. Each row's body must hash to its stored leaf hash and carry its
/// own index, its search columns must say what the body says (so a filter cannot match a row the body contradicts),
/// and a row the latest signed checkpoint covers must be included in that checkpoint's tree: its leaf, with the stored
/// subtree hashes of one inclusion proof (all rows' proofs read in one round trip), must lead to the signed root. A row
/// past the latest checkpoint is checked as far as it can be (leaf and columns) until a checkpoint covers it, and so is
/// every row when no trust is given (a local query without the verifier keys).
/// </summary>
public static class VerifiedEntries
{
    /// <summary>Each row with null when it verifies, or the reason it is withheld.</summary>
    public static async Task<IReadOnlyList<(StoredEntry Row, string? Problem)>> CheckAsync(ILedgerStore store, LedgerAuditOptions? trust, IReadOnlyList<StoredEntry> rows,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(rows);
        var problems = new string?[rows.Count];
        var leaves = new byte[rows.Count][];
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            leaves[i] = MerkleHash.Leaf(row.Body);
            if (!LedgerColumns.TryRead(row.Body, row.Columns, out var index, out var column, out var error)) problems[i] = $"its bytes cannot be read: {error}";
            else if (index != row.Index) problems[i] = $"its bytes name index {index}";
            else if (!leaves[i].AsSpan().SequenceEqual(row.LeafHash)) problems[i] = "its bytes do not hash to its stored leaf hash";
            else if (column is not null) problems[i] = $"its stored '{column}' column differs from the entry's own";
        }

        if (trust is null) return Pair(rows, problems);
        var latest = await store.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (latest is null) return Pair(rows, problems);
        if (!LedgerTrust.TryOpenCheckpoint(Encoding.UTF8.GetBytes(latest.Note), trust, out var checkpoint, out var refusal))
            throw new LedgerCorruptException($"the latest checkpoint is refused: {refusal.Message}");
        var covered = Enumerable.Range(0, rows.Count).Where(i => problems[i] is null && rows[i].Index < checkpoint.Size).ToList();
        if (covered.Count == 0) return Pair(rows, problems);
        var plans = covered.ToDictionary(i => i, i => ProofPlan.Inclusion(rows[i].Index, checkpoint.Size));
        var ids = plans.Values.SelectMany(p => p.Nodes).Distinct().ToList();
        var hashes = await store.ReadNodesAsync(ids, cancellationToken).ConfigureAwait(false);
        var byId = new Dictionary<MerkleNodeId, byte[]>(ids.Count);
        for (var n = 0; n < ids.Count; n++) byId[ids[n]] = hashes[n];
        foreach (var i in covered)
        {
            var proof = new InclusionProof(rows[i].Index, checkpoint.Size, plans[i].Assemble(id => byId[id]));
            if (!proof.Verify(leaves[i], checkpoint.RootHash).IsValid)
                problems[i] = $"it is not included in the signed checkpoint of size {checkpoint.Size}";
        }
        return Pair(rows, problems);
    }

    private static (StoredEntry, string?)[] Pair(IReadOnlyList<StoredEntry> rows, string?[] problems) =>
        [.. rows.Select((row, i) => (row, problems[i]))];
}
