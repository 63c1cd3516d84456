using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>Proofs served from any store: the plan comes from Attest.Core, the store only reads the nodes.</summary>
public static class LedgerProofs
{
    public static async Task<InclusionProof> GetInclusionProofAsync(this IMerkleNodeReader store, long index, long treeSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var plan = ProofPlan.Inclusion(index, treeSize);
        return new InclusionProof(index, treeSize, await AssembleAsync(store, plan, cancellationToken).ConfigureAwait(false));
    }

    public static async Task<ConsistencyProof> GetConsistencyProofAsync(this IMerkleNodeReader store, long size1, long size2, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var plan = ProofPlan.Consistency(size1, size2);
        return new ConsistencyProof(size1, size2, await AssembleAsync(store, plan, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The root of the first <paramref name="size"/> entries, from the stored frontier nodes.</summary>
    public static async Task<byte[]> GetRootAsync(this IMerkleNodeReader store, long size, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var ids = CompactRange.FrontierIds(size);
        var hashes = await store.ReadNodesAsync(ids, cancellationToken).ConfigureAwait(false);
        return CompactRange.FromFrontier(size, hashes).Root();
    }

    private static async Task<byte[][]> AssembleAsync(IMerkleNodeReader store, ProofPlan plan, CancellationToken cancellationToken)
    {
        var hashes = await store.ReadNodesAsync(plan.Nodes, cancellationToken).ConfigureAwait(false);
        var byId = new Dictionary<MerkleNodeId, byte[]>(plan.Nodes.Count);
        for (var i = 0; i < plan.Nodes.Count; i++) byId[plan.Nodes[i]] = hashes[i];
        return plan.Assemble(id => byId[id]);
    }
}
