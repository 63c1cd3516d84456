using System.Security.Cryptography;

namespace Attest.Sigstore.Rekor;

/// <summary>
/// RFC 6962 / RFC 9162 §2.1.3.2 inclusion proof verification with SHA-256 (leaf = H(0x00 ‖ d), node = H(0x01 ‖ l ‖ r)).
/// TODO: replace with Attest.Core.Transparency once it is merged into main.
/// </summary>
internal static class MerkleInclusion
{
    public static byte[] HashLeaf(ReadOnlySpan<byte> data)
    {
        var buffer = new byte[data.Length + 1];
        data.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    private static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[65];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[33..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>Computes the root implied by the proof; null when the proof has the wrong shape for (index, size).</summary>
    public static byte[]? RootFromProof(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof)
    {
        if (index < 0 || size <= 0 || index >= size || leafHash.Length != 32) return null;
        var fn = index;
        var sn = size - 1;
        var r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (p.Length != 32 || sn == 0) return null;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = HashChildren(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = HashChildren(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 ? r : null;
    }
}
