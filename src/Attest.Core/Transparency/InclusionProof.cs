using System.Globalization;

namespace Attest.Core.Transparency;

/// <summary>An RFC 9162 inclusion proof: the audit path of leaf <see cref="LeafIndex"/> in the tree of
/// <see cref="TreeSize"/> leaves, bottom-up.</summary>
public sealed record InclusionProof(long LeafIndex, long TreeSize, IReadOnlyList<byte[]> Hashes)
{
    /// <summary>RFC 9162 §2.1.3.2: recomputes the root from <paramref name="leafHash"/> and the path, then compares
    /// it with <paramref name="expectedRoot"/>. Every failure is a value with a reason code.</summary>
    public ProofResult Verify(ReadOnlySpan<byte> leafHash, ReadOnlySpan<byte> expectedRoot)
    {
        var computed = TryComputeRoot(leafHash, out var failure);
        if (computed is null) return failure!;
        if (expectedRoot.Length != MerkleHash.Size)
            return ProofResult.Fail(TransparencyCodes.HashSize, $"root hash must be {MerkleHash.Size} bytes, got {expectedRoot.Length}");
        if (!computed.AsSpan().SequenceEqual(expectedRoot))
            return ProofResult.Fail(TransparencyCodes.InclusionRootMismatch,
                $"leaf {LeafIndex} does not lead to the expected root of the tree of size {TreeSize}",
                new Dictionary<string, string>
                {
                    ["expectedRoot"] = Convert.ToHexStringLower(expectedRoot),
                    ["calculatedRoot"] = Convert.ToHexStringLower(computed),
                    ["leafIndex"] = LeafIndex.ToString(CultureInfo.InvariantCulture),
                    ["treeSize"] = TreeSize.ToString(CultureInfo.InvariantCulture),
                });
        return ProofResult.Valid;
    }

    /// <summary>The root the proof leads to, or null with the reason in <paramref name="failure"/>.</summary>
    public byte[]? TryComputeRoot(ReadOnlySpan<byte> leafHash, out ProofResult? failure)
    {
        failure = null;
        if (LeafIndex < 0 || LeafIndex >= TreeSize)
        {
            failure = ProofResult.Fail(TransparencyCodes.InclusionIndexOutOfRange,
                $"leaf index {LeafIndex} is outside a tree of size {TreeSize}");
            return null;
        }
        if (leafHash.Length != MerkleHash.Size || Hashes.Any(h => h is null || h.Length != MerkleHash.Size))
        {
            failure = ProofResult.Fail(TransparencyCodes.HashSize, $"leaf and proof hashes must be {MerkleHash.Size} bytes");
            return null;
        }
        if (Hashes.Count > TransparencyLimits.MaxProofHashes)
        {
            failure = ProofSize();
            return null;
        }
        var fn = LeafIndex;
        var sn = TreeSize - 1;
        var r = leafHash.ToArray();
        foreach (var p in Hashes)
        {
            if (sn == 0)
            {
                failure = ProofSize();
                return null;
            }
            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Children(p, r);
                if ((fn & 1) == 0)
                    while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else
            {
                r = MerkleHash.Children(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0)
        {
            failure = ProofSize();
            return null;
        }
        return r;
    }

    private ProofResult ProofSize() => ProofResult.Fail(TransparencyCodes.InclusionProofSize,
        $"an inclusion proof for leaf {LeafIndex} in a tree of size {TreeSize} cannot have {Hashes.Count} hashes",
        new Dictionary<string, string> { ["proofHashes"] = Hashes.Count.ToString(CultureInfo.InvariantCulture) });
}
