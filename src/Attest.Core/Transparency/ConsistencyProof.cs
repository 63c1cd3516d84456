using System.Globalization;

namespace Attest.Core.Transparency;

/// <summary>An RFC 9162 consistency proof that the tree of <see cref="Size1"/> leaves is a prefix of the tree of
/// <see cref="Size2"/> leaves.</summary>
public sealed record ConsistencyProof(long Size1, long Size2, IReadOnlyList<byte[]> Hashes)
{
    /// <summary>RFC 9162 §2.1.4.2. Requires 0 ≤ Size1 ≤ Size2. Equal sizes need an empty proof and equal roots; a
    /// Size1 of 0 needs an empty proof (every tree extends the empty one).</summary>
    public ProofResult Verify(ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2)
    {
        if (Size1 < 0 || Size1 > Size2)
            return ProofResult.Fail(TransparencyCodes.ConsistencySizeOrder,
                $"size {Size1} cannot be proved consistent with the smaller size {Size2}");
        if (root1.Length != MerkleHash.Size || root2.Length != MerkleHash.Size ||
            Hashes.Any(h => h is null || h.Length != MerkleHash.Size))
            return ProofResult.Fail(TransparencyCodes.HashSize, $"roots and proof hashes must be {MerkleHash.Size} bytes");
        if (Hashes.Count > TransparencyLimits.MaxProofHashes) return ProofSize();

        if (Size1 == Size2)
        {
            if (Hashes.Count != 0) return ProofSize();
            return root1.SequenceEqual(root2) ? ProofResult.Valid : Mismatch(TransparencyCodes.ConsistencyNewRootMismatch, root2, root1);
        }
        if (Size1 == 0) return Hashes.Count == 0 ? ProofResult.Valid : ProofSize();
        if (Hashes.Count == 0) return ProofSize();

        var path = new List<byte[]>(Hashes.Count + 1);
        // Step 2: when the old tree is a perfect subtree its root is the proof's implicit first element.
        if ((Size1 & (Size1 - 1)) == 0) path.Add(root1.ToArray());
        path.AddRange(Hashes);

        var fn = Size1 - 1;
        var sn = Size2 - 1;
        while ((fn & 1) == 1) { fn >>= 1; sn >>= 1; }
        var fr = path[0];
        var sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0) return ProofSize();
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Children(c, fr);
                sr = MerkleHash.Children(c, sr);
                if ((fn & 1) == 0)
                    while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else
            {
                sr = MerkleHash.Children(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0) return ProofSize();
        if (!fr.AsSpan().SequenceEqual(root1)) return Mismatch(TransparencyCodes.ConsistencyOldRootMismatch, root1, fr);
        if (!sr.AsSpan().SequenceEqual(root2)) return Mismatch(TransparencyCodes.ConsistencyNewRootMismatch, root2, sr);
        return ProofResult.Valid;
    }

    private ProofResult ProofSize() => ProofResult.Fail(TransparencyCodes.ConsistencyProofSize,
        $"a consistency proof from size {Size1} to {Size2} cannot have {Hashes.Count} hashes",
        new Dictionary<string, string> { ["proofHashes"] = Hashes.Count.ToString(CultureInfo.InvariantCulture) });

    private ProofResult Mismatch(string code, ReadOnlySpan<byte> expected, ReadOnlySpan<byte> calculated) => ProofResult.Fail(code,
        code == TransparencyCodes.ConsistencyOldRootMismatch
            ? $"the proof does not lead to the expected root of the tree of size {Size1}"
            : $"the proof does not lead to the expected root of the tree of size {Size2}",
        new Dictionary<string, string>
        {
            ["expectedRoot"] = Convert.ToHexStringLower(expected),
            ["calculatedRoot"] = Convert.ToHexStringLower(calculated),
            ["size1"] = Size1.ToString(CultureInfo.InvariantCulture),
            ["size2"] = Size2.ToString(CultureInfo.InvariantCulture),
        });
}
