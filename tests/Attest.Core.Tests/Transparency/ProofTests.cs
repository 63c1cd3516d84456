using System.Text.Json;
using Attest.Core.Transparency;
using Attest.Testing;

namespace Attest.Core.Tests.Transparency;

public class ProofTests
{
    private static readonly Lazy<MemoryNodeStore> Big = new(() => MemoryNodeStore.WithLeaves(100_000));

    public static TheoryData<int> Seeds => [1, 2, 3, 4, 5, 6];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Inclusion_proofs_for_random_sizes_up_to_100000_match_the_reference_and_verify(int seed)
    {
        var random = new Random(seed);
        var store = Big.Value;
        long[] sizes = [random.NextInt64(1, 100_001), random.NextInt64(1, 1025), 65_536, 65_537, 100_000];
        foreach (var size in sizes)
        {
            var root = ReferenceMerkle.Mth(store.Leaves, 0, size);
            foreach (var index in new[] { 0, size - 1, random.NextInt64(0, size) })
            {
                var plan = ProofPlan.Inclusion(index, size);
                var hashes = plan.Assemble(store.HashOf);
                var expected = ReferenceMerkle.Path(store.Leaves, index, 0, size);
                Assert.Equal(expected, hashes);
                // Stored-node reads stay logarithmic: one node per proof element plus the border decomposition.
                Assert.True(plan.Nodes.Count <= 2 * 64, $"{plan.Nodes.Count} node reads for size {size}");
                var result = new InclusionProof(index, size, hashes).Verify(store.Leaves[(int)index], root);
                Assert.True(result.IsValid, $"index {index} size {size}: {result}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Consistency_proofs_for_random_sizes_up_to_100000_match_the_reference_and_verify(int seed)
    {
        var random = new Random(seed * 31);
        var store = Big.Value;
        for (var trial = 0; trial < 4; trial++)
        {
            var size2 = trial == 0 ? 100_000 : random.NextInt64(1, 100_001);
            var size1 = trial == 1 ? size2 : random.NextInt64(1, size2 + 1);
            var plan = ProofPlan.Consistency(size1, size2);
            var hashes = plan.Assemble(store.HashOf);
            Assert.Equal(ReferenceMerkle.Proof(store.Leaves, size1, size2), hashes);
            var result = new ConsistencyProof(size1, size2, hashes)
                .Verify(ReferenceMerkle.Mth(store.Leaves, 0, size1), ReferenceMerkle.Mth(store.Leaves, 0, size2));
            Assert.True(result.IsValid, $"{size1} -> {size2}: {result}");
        }
    }

    [Fact]
    public void Every_inclusion_proof_of_trees_up_to_40_verifies_and_any_flipped_byte_is_rejected()
    {
        var store = MemoryNodeStore.WithLeaves(40);
        for (var size = 1; size <= 40; size++)
        {
            var root = ReferenceMerkle.Mth(store.Leaves, 0, size);
            for (var index = 0; index < size; index++)
            {
                var hashes = ProofPlan.Inclusion(index, size).Assemble(store.HashOf);
                var leaf = store.Leaves[index];
                Assert.True(new InclusionProof(index, size, hashes).Verify(leaf, root).IsValid);
                for (var h = 0; h < hashes.Length; h++)
                    for (var b = 0; b < MerkleHash.Size; b++)
                        Assert.False(new InclusionProof(index, size, Flip(hashes, h, b)).Verify(leaf, root).IsValid);
                for (var b = 0; b < MerkleHash.Size; b++)
                {
                    Assert.Equal(TransparencyCodes.InclusionRootMismatch,
                        new InclusionProof(index, size, hashes).Verify(leaf, Flip(root, b)).Failure!.Code);
                    Assert.Equal(TransparencyCodes.InclusionRootMismatch,
                        new InclusionProof(index, size, hashes).Verify(Flip(leaf, b), root).Failure!.Code);
                }
                if (size > 1)
                {
                    var other = (index + 1) % size;
                    Assert.False(new InclusionProof(other, size, hashes).Verify(leaf, root).IsValid);
                }
            }
        }
    }

    [Fact]
    public void Verify_rejects_inclusion_proof_with_a_hash_added_or_removed()
    {
        var store = MemoryNodeStore.WithLeaves(21);
        var root = ReferenceMerkle.Mth(store.Leaves, 0, 21);
        var hashes = ProofPlan.Inclusion(7, 21).Assemble(store.HashOf);
        var longer = new InclusionProof(7, 21, [.. hashes, hashes[0]]).Verify(store.Leaves[7], root);
        var shorter = new InclusionProof(7, 21, hashes[..^1]).Verify(store.Leaves[7], root);
        Assert.Equal(TransparencyCodes.InclusionProofSize, longer.Failure!.Code);
        Assert.False(shorter.IsValid);
    }

    [Fact]
    public void Verify_rejects_inclusion_index_outside_the_tree_and_wrong_hash_sizes()
    {
        var leaf = MerkleHash.Leaf("a"u8);
        Assert.Equal(TransparencyCodes.InclusionIndexOutOfRange, new InclusionProof(1, 1, []).Verify(leaf, leaf).Failure!.Code);
        Assert.Equal(TransparencyCodes.InclusionIndexOutOfRange, new InclusionProof(-1, 1, []).Verify(leaf, leaf).Failure!.Code);
        Assert.Equal(TransparencyCodes.InclusionIndexOutOfRange, new InclusionProof(0, 0, []).Verify(leaf, leaf).Failure!.Code);
        Assert.Equal(TransparencyCodes.HashSize, new InclusionProof(0, 2, [new byte[31]]).Verify(leaf, leaf).Failure!.Code);
        Assert.Equal(TransparencyCodes.HashSize, new InclusionProof(0, 1, []).Verify(leaf, leaf[..31]).Failure!.Code);
        Assert.True(new InclusionProof(0, 1, []).Verify(leaf, leaf).IsValid);
    }

    [Fact]
    public void Root_mismatch_carries_expected_and_calculated_roots_as_evidence()
    {
        var store = MemoryNodeStore.WithLeaves(5);
        var hashes = ProofPlan.Inclusion(2, 5).Assemble(store.HashOf);
        var wrongRoot = ReferenceMerkle.Mth(store.Leaves, 0, 4);
        var failure = new InclusionProof(2, 5, hashes).Verify(store.Leaves[2], wrongRoot).Failure!;
        Assert.Equal(Convert.ToHexStringLower(wrongRoot), failure.Evidence!["expectedRoot"]);
        Assert.Equal(Convert.ToHexStringLower(ReferenceMerkle.Mth(store.Leaves, 0, 5)), failure.Evidence["calculatedRoot"]);
    }

    [Fact]
    public void Every_consistency_proof_of_trees_up_to_24_verifies_and_any_flipped_byte_is_rejected()
    {
        var store = MemoryNodeStore.WithLeaves(24);
        for (var size2 = 1; size2 <= 24; size2++)
        {
            var root2 = ReferenceMerkle.Mth(store.Leaves, 0, size2);
            for (var size1 = 1; size1 <= size2; size1++)
            {
                var root1 = ReferenceMerkle.Mth(store.Leaves, 0, size1);
                var hashes = ProofPlan.Consistency(size1, size2).Assemble(store.HashOf);
                Assert.True(new ConsistencyProof(size1, size2, hashes).Verify(root1, root2).IsValid, $"{size1} -> {size2}");
                for (var h = 0; h < hashes.Length; h++)
                    for (var b = 0; b < MerkleHash.Size; b++)
                        Assert.False(new ConsistencyProof(size1, size2, Flip(hashes, h, b)).Verify(root1, root2).IsValid);
                for (var b = 0; b < MerkleHash.Size; b++)
                {
                    Assert.False(new ConsistencyProof(size1, size2, hashes).Verify(Flip(root1, b), root2).IsValid);
                    Assert.False(new ConsistencyProof(size1, size2, hashes).Verify(root1, Flip(root2, b)).IsValid);
                }
            }
        }
    }

    [Fact]
    public void Verify_rejects_consistency_proof_with_swapped_roots()
    {
        var store = MemoryNodeStore.WithLeaves(13);
        var root1 = ReferenceMerkle.Mth(store.Leaves, 0, 6);
        var root2 = ReferenceMerkle.Mth(store.Leaves, 0, 13);
        var hashes = ProofPlan.Consistency(6, 13).Assemble(store.HashOf);
        var result = new ConsistencyProof(6, 13, hashes).Verify(root2, root1);
        Assert.Equal(TransparencyCodes.ConsistencyOldRootMismatch, result.Failure!.Code);
        Assert.Equal(TransparencyCodes.ConsistencySizeOrder, new ConsistencyProof(13, 6, hashes).Verify(root2, root1).Failure!.Code);
    }

    [Fact]
    public void Verify_rejects_consistency_proofs_of_the_wrong_length()
    {
        var store = MemoryNodeStore.WithLeaves(13);
        var root6 = ReferenceMerkle.Mth(store.Leaves, 0, 6);
        var root13 = ReferenceMerkle.Mth(store.Leaves, 0, 13);
        var hashes = ProofPlan.Consistency(6, 13).Assemble(store.HashOf);
        Assert.Equal(TransparencyCodes.ConsistencyProofSize, new ConsistencyProof(6, 13, []).Verify(root6, root13).Failure!.Code);
        Assert.False(new ConsistencyProof(6, 13, hashes[..^1]).Verify(root6, root13).IsValid);
        Assert.False(new ConsistencyProof(6, 13, [.. hashes, hashes[0]]).Verify(root6, root13).IsValid);
        // Equal sizes and size 0 need an empty proof.
        Assert.True(new ConsistencyProof(13, 13, []).Verify(root13, root13).IsValid);
        Assert.Equal(TransparencyCodes.ConsistencyProofSize, new ConsistencyProof(13, 13, [root6]).Verify(root13, root13).Failure!.Code);
        Assert.Equal(TransparencyCodes.ConsistencyNewRootMismatch, new ConsistencyProof(13, 13, []).Verify(root13, root6).Failure!.Code);
        Assert.True(new ConsistencyProof(0, 13, []).Verify(MerkleHash.EmptyRoot(), root13).IsValid);
        Assert.Equal(TransparencyCodes.ConsistencyProofSize, new ConsistencyProof(0, 13, [root6]).Verify(MerkleHash.EmptyRoot(), root13).Failure!.Code);
    }

    [Fact]
    public void Real_rekor_inclusion_proof_from_a_cosign_bundle_verifies_and_a_changed_body_does_not()
    {
        using var bundle = JsonDocument.Parse(File.ReadAllBytes(RepositoryPaths.Vectors("tlog", "oci-attestation.sigstore.json")));
        var entry = bundle.RootElement.GetProperty("verificationMaterial").GetProperty("tlogEntries")[0];
        var proof = entry.GetProperty("inclusionProof");
        var body = Convert.FromBase64String(entry.GetProperty("canonicalizedBody").GetString()!);
        var inclusion = new InclusionProof(
            long.Parse(proof.GetProperty("logIndex").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(proof.GetProperty("treeSize").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            [.. proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!))]);
        var root = Convert.FromBase64String(proof.GetProperty("rootHash").GetString()!);

        Assert.True(inclusion.Verify(MerkleHash.Leaf(body), root).IsValid);
        body[10] ^= 1;
        Assert.Equal(TransparencyCodes.InclusionRootMismatch, inclusion.Verify(MerkleHash.Leaf(body), root).Failure!.Code);
    }

    [Fact]
    public void Plans_refuse_arguments_outside_their_domain()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.Inclusion(5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.Inclusion(-1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.Consistency(6, 5));
        Assert.Equal(0, ProofPlan.Consistency(0, 5).ProofLength);
        Assert.Equal(0, ProofPlan.Consistency(5, 5).ProofLength);
    }

    private static byte[][] Flip(byte[][] hashes, int which, int at)
    {
        var copy = hashes.Select(h => (byte[])h.Clone()).ToArray();
        copy[which][at] ^= 0x01;
        return copy;
    }

    private static byte[] Flip(byte[] hash, int at)
    {
        var copy = (byte[])hash.Clone();
        copy[at] ^= 0x01;
        return copy;
    }
}
