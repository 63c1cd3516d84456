using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Attest.Core.Transparency;

/// <summary>Shared rules of c2sp.org/signed-note: key names, key ids and strict base64.</summary>
internal static class NoteEncoding
{
    public const string SignaturePrefix = "— ";

    /// <summary>Key names are non-empty and contain no Unicode space and no '+'.</summary>
    public static bool IsValidKeyName(string name)
    {
        if (name.Length == 0 || name.Length > TransparencyLimits.MaxKeyNameLength) return false;
        foreach (var c in name)
            if (char.IsWhiteSpace(c) || c == '+' || char.IsControl(c)) return false;
        return true;
    }

    /// <summary>key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian.</summary>
    public static uint KeyHash(string name, byte signatureType, ReadOnlySpan<byte> publicKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var buffer = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(buffer, 0);
        buffer[nameBytes.Length] = 0x0A;
        buffer[nameBytes.Length + 1] = signatureType;
        publicKey.CopyTo(buffer.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(buffer));
    }

    /// <summary>ECDSA (type 0x02, transparency-dev/witness): the key id is SHA-256 of the SPKI DER alone.</summary>
    public static uint SpkiKeyHash(ReadOnlySpan<byte> spki) => BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(spki));

    /// <summary>RFC 4648 §4 base64 in its one canonical spelling: no whitespace, correct padding, zero trailing
    /// bits. Anything else could make two strings name the same key or signature.</summary>
    public static byte[]? DecodeBase64Strict(string text)
    {
        if (text.Length == 0 || text.Length % 4 != 0) return null;
        var buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64String(text, buffer, out var written)) return null;
        var decoded = buffer.AsSpan(0, written).ToArray();
        return Convert.ToBase64String(decoded) == text ? decoded : null;
    }
}
