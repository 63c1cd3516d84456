using System.Security.Cryptography;
using Attest.Core.Crypto;

namespace Attest.Core.Transparency;

/// <summary>A key that signs note text; <see cref="VerifierKey"/> is what verifiers are configured with.</summary>
public abstract class NoteSigner
{
    public abstract NoteVerifierKey VerifierKey { get; }

    public string Name => VerifierKey.Name;

    public uint KeyHash => VerifierKey.KeyHash;

    /// <summary>Signs the note text (the bytes a verifier will check, final newline included).</summary>
    public abstract byte[] Sign(ReadOnlySpan<byte> text);
}

/// <summary>Ed25519 note signer (type 0x01).</summary>
public sealed class Ed25519NoteSigner : NoteSigner
{
    private readonly byte[] _seed;

    public Ed25519NoteSigner(string name, ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519.SeedSize) throw new ArgumentException("Ed25519 seeds are 32 bytes", nameof(seed));
        _seed = seed.ToArray();
        VerifierKey = NoteVerifierKey.ForEd25519(name, Ed25519.PublicKeyFromSeed(seed));
    }

    public override NoteVerifierKey VerifierKey { get; }

    public override byte[] Sign(ReadOnlySpan<byte> text) => Ed25519.Sign(_seed, text);

    /// <summary>The private seed (for deriving the same key's cosignature signer).</summary>
    internal ReadOnlySpan<byte> Seed => _seed;

    /// <summary>Go's signer-key form, for key files; it contains the private seed.</summary>
    public string ToPrivateKeyString() =>
        $"PRIVATE+KEY+{Name}+{KeyHash:x8}+{Convert.ToBase64String([NoteVerifierKey.Ed25519Type, .. _seed])}";

    /// <summary>Reads Go's signer-key form <c>PRIVATE+KEY+name+hex8(keyID)+base64(0x01 || seed)</c>.</summary>
    public static Ed25519NoteSigner FromPrivateKeyString(string skey)
    {
        ArgumentNullException.ThrowIfNull(skey);
        var parts = skey.Split('+', 5);
        if (parts.Length != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY")
            throw new FormatException("signer key must have the form PRIVATE+KEY+name+keyid+key");
        var raw = NoteEncoding.DecodeBase64Strict(parts[4]);
        if (raw is not { Length: 1 + Ed25519.SeedSize } || raw[0] != NoteVerifierKey.Ed25519Type)
            throw new FormatException("signer key is not an Ed25519 seed");
        var signer = new Ed25519NoteSigner(parts[2], raw.AsSpan(1));
        CryptographicOperations.ZeroMemory(raw);
        if (parts[3] != $"{signer.KeyHash:x8}") throw new FormatException("signer key id does not match the key");
        return signer;
    }
}

/// <summary>ECDSA P-256 note signer (type 0x02): ASN.1 DER signature over SHA-256 of the text.</summary>
public sealed class EcdsaNoteSigner : NoteSigner
{
    private readonly ECDsa _key;

    /// <summary>Takes a P-256 private key; the signer does not own or dispose it.</summary>
    public EcdsaNoteSigner(string name, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
        VerifierKey = NoteVerifierKey.ForEcdsa(name, key.ExportSubjectPublicKeyInfo());
    }

    public override NoteVerifierKey VerifierKey { get; }

    public override byte[] Sign(ReadOnlySpan<byte> text) =>
        _key.SignData(text, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
}
