using System.Buffers;
using System.Security.Cryptography;

namespace Attest.Core.Transparency;

/// <summary>RFC 6962 §2.1 hashing with SHA-256: leaves and interior nodes are domain-separated by a prefix byte
/// so a leaf can never be passed off as a node (second-preimage resistance).</summary>
public static class MerkleHash
{
    public const int Size = 32;
    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;

    /// <summary>MTH({}) = SHA-256 of the empty string.</summary>
    public static byte[] EmptyRoot() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>MTH({d}) = SHA-256(0x00 || d).</summary>
    public static byte[] Leaf(ReadOnlySpan<byte> data)
    {
        var length = data.Length + 1;
        var rented = length <= 1024 ? null : ArrayPool<byte>.Shared.Rent(length);
        var buffer = rented is null ? stackalloc byte[length] : rented.AsSpan(0, length);
        buffer[0] = LeafPrefix;
        data.CopyTo(buffer[1..]);
        var hash = SHA256.HashData(buffer);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return hash;
    }

    /// <summary>SHA-256(0x01 || left || right).</summary>
    public static byte[] Children(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        if (left.Length != Size || right.Length != Size)
            throw new ArgumentException($"Merkle node hashes are {Size} bytes");
        Span<byte> buffer = stackalloc byte[1 + 2 * Size];
        buffer[0] = NodePrefix;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Size)..]);
        return SHA256.HashData(buffer);
    }
}
