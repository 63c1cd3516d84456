using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Attest.Core.Crypto;

namespace Attest.Core.Transparency;

/// <summary>
/// c2sp.org/tlog-cosignature v1 with Ed25519 (signature type 0x04): a witness's timestamped statement that, as of
/// that time, the checkpoint is the largest consistent tree it has seen of that log. The signature (after the note's
/// 4-byte key id) is <c>u64 timestamp || Ed25519 signature</c> over
/// <c>"cosignature/v1\ntime &lt;timestamp&gt;\n" || checkpoint text</c>.
/// </summary>
public static class CosignatureV1
{
    public const byte Ed25519Type = 0x04;

    /// <summary>Timestamp (8) plus Ed25519 signature (64).</summary>
    public const int SignatureSize = 8 + Ed25519.SignatureSize;

    /// <summary>The bytes a cosigner signs.</summary>
    public static byte[] Message(ulong timestamp, ReadOnlySpan<byte> checkpointText)
    {
        var header = Encoding.ASCII.GetBytes($"cosignature/v1\ntime {timestamp.ToString(CultureInfo.InvariantCulture)}\n");
        var message = new byte[header.Length + checkpointText.Length];
        header.CopyTo(message, 0);
        checkpointText.CopyTo(message.AsSpan(header.Length));
        return message;
    }

    /// <summary>Checks a cosignature (the note signature without its key id) by <paramref name="publicKey"/>.
    /// Refuses timestamps at or above 2^63, as the specification requires.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> checkpointText, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize) return false;
        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature);
        if (timestamp > long.MaxValue) return false;
        return Ed25519.Verify(publicKey, Message(timestamp, checkpointText), signature[8..]);
    }

    /// <summary>The time a cosignature was made, or null when it is not a v1 cosignature.</summary>
    public static DateTimeOffset? Timestamp(ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize) return null;
        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature);
        return timestamp > (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds() ? null : DateTimeOffset.FromUnixTimeSeconds((long)timestamp);
    }
}

/// <summary>An Ed25519 witness key signing c2sp.org/tlog-cosignature v1 cosignatures, timestamped by the injected clock.</summary>
public sealed class Ed25519CosignatureSigner : NoteSigner
{
    private readonly byte[] _seed;
    private readonly TimeProvider _time;

    public Ed25519CosignatureSigner(string name, ReadOnlySpan<byte> seed, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (seed.Length != Ed25519.SeedSize) throw new ArgumentException("Ed25519 seeds are 32 bytes", nameof(seed));
        _seed = seed.ToArray();
        _time = time;
        VerifierKey = NoteVerifierKey.ForEd25519Cosignature(name, Ed25519.PublicKeyFromSeed(seed));
    }

    public override NoteVerifierKey VerifierKey { get; }

    public override byte[] Sign(ReadOnlySpan<byte> text)
    {
        var timestamp = (ulong)Math.Max(0, _time.GetUtcNow().ToUnixTimeSeconds());
        var signature = new byte[CosignatureV1.SignatureSize];
        BinaryPrimitives.WriteUInt64BigEndian(signature, timestamp);
        Ed25519.Sign(_seed, CosignatureV1.Message(timestamp, text)).CopyTo(signature, 8);
        return signature;
    }

    /// <summary>A cosigner on the seed of a Go-form Ed25519 signer key (<c>PRIVATE+KEY+name+id+base64(0x01 || seed)</c>, as
    /// <c>attest witness keygen</c> writes it): the same key under the cosignature type, as witnesses conventionally derive it.</summary>
    public static Ed25519CosignatureSigner FromPrivateKeyString(string skey, TimeProvider time)
    {
        var plain = Ed25519NoteSigner.FromPrivateKeyString(skey);
        return new Ed25519CosignatureSigner(plain.Name, plain.Seed, time);
    }
}
