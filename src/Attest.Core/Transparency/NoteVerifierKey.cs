using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Attest.Core.Crypto;

namespace Attest.Core.Transparency;

/// <summary>
/// A trusted note key in the verifier-key form <c>name+hex8(keyID)+base64(type || public key)</c>. Supported
/// types: 0x01 Ed25519 (c2sp.org/signed-note), 0x04 Ed25519 witness cosignatures (c2sp.org/tlog-cosignature) and 0x02 ECDSA P-256 with SHA-256 over an SPKI DER key (as
/// transparency-dev/witness and Rekor checkpoints use it; the key id is SHA-256 of the SPKI alone). RSA log keys
/// (older Rekor v1 deployments) sign checkpoints with RSA PKCS#1 v1.5 SHA-256 (sigstore/sigstore's default RSA
/// verifier); such keys exist only as <see cref="ForRsa"/> objects, the verifier-key text form has no RSA type.
/// </summary>
public sealed class NoteVerifierKey
{
    public const byte Ed25519Type = 0x01;
    public const byte EcdsaType = 0x02;

    /// <summary>c2sp.org/tlog-cosignature v1 with Ed25519: a witness key (see <see cref="CosignatureV1"/>).</summary>
    public const byte Ed25519CosignatureType = CosignatureV1.Ed25519Type;

    /// <summary>rekor-tiles' signature-type byte for RSA note keys, followed in the key id by the scheme name.</summary>
    public const byte RsaType = 0xFF;

    private const string RsaSchemeName = "PKIX-RSA-PKCS#1v1.5";

    private readonly byte[] _publicKey;
    // The ECDSA P-256 or RSA key that checks signatures (null for Ed25519, which is checked on the raw key).
    private readonly Crypto.PublicKey? _key;

    private NoteVerifierKey(string name, uint keyHash, byte signatureType, byte[] publicKey, Crypto.PublicKey? key)
    {
        _key = key;
        Name = name;
        KeyHash = keyHash;
        SignatureType = signatureType;
        _publicKey = publicKey;
    }

    public string Name { get; }

    public uint KeyHash { get; }

    public byte SignatureType { get; }

    /// <summary>The raw Ed25519 key (32 bytes) or the ECDSA SubjectPublicKeyInfo DER.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>Checks one signature (without its 4-byte key id) over the note text.</summary>
    public bool Verify(ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature) => SignatureType switch
    {
        Ed25519Type => Ed25519.Verify(_publicKey, text, signature),
        Ed25519CosignatureType => CosignatureV1.Verify(_publicKey, text, signature),
        EcdsaType => _key!.VerifyData(text, signature, SignatureScheme.EcdsaSha256),
        RsaType => _key!.VerifyData(text, signature, SignatureScheme.RsaPkcs1Sha256),
        _ => false,
    };

    public override string ToString() =>
        $"{Name}+{KeyHash:x8}+{Convert.ToBase64String([SignatureType, .. _publicKey])}";

    public static NoteVerifierKey ForEd25519(string name, ReadOnlySpan<byte> publicKey)
    {
        if (!NoteEncoding.IsValidKeyName(name)) throw new ArgumentException($"invalid note key name '{name}'", nameof(name));
        if (publicKey.Length != Ed25519.PublicKeySize) throw new ArgumentException("Ed25519 public keys are 32 bytes", nameof(publicKey));
        return new NoteVerifierKey(name, NoteEncoding.KeyHash(name, Ed25519Type, publicKey), Ed25519Type, publicKey.ToArray(), null);
    }

    /// <summary>A witness's Ed25519 cosignature key (type 0x04; the key id commits to the type, so the same key as a
    /// plain Ed25519 note key has another id and does not verify cosignatures).</summary>
    public static NoteVerifierKey ForEd25519Cosignature(string name, ReadOnlySpan<byte> publicKey)
    {
        if (!NoteEncoding.IsValidKeyName(name)) throw new ArgumentException($"invalid note key name '{name}'", nameof(name));
        if (publicKey.Length != Ed25519.PublicKeySize) throw new ArgumentException("Ed25519 public keys are 32 bytes", nameof(publicKey));
        return new NoteVerifierKey(name, NoteEncoding.KeyHash(name, Ed25519CosignatureType, publicKey), Ed25519CosignatureType, publicKey.ToArray(), null);
    }

    /// <summary>True for witness cosignature keys.</summary>
    public bool IsCosignatureKey => SignatureType == Ed25519CosignatureType;

    public static NoteVerifierKey ForEcdsa(string name, ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        ForEcdsa(name, ImportP256(subjectPublicKeyInfo)
            ?? throw new ArgumentException("not an ECDSA P-256 SubjectPublicKeyInfo", nameof(subjectPublicKeyInfo)));

    /// <summary>An ECDSA P-256 note key on a key already held (a log's key in the trusted root), sharing its verification state.</summary>
    public static NoteVerifierKey ForEcdsa(string name, Crypto.PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!NoteEncoding.IsValidKeyName(name)) throw new ArgumentException($"invalid note key name '{name}'", nameof(name));
        if (key.Algorithm != KeyAlgorithm.EcdsaP256) throw new ArgumentException("not an ECDSA P-256 key", nameof(key));
        var spki = key.SubjectPublicKeyInfo;
        return new NoteVerifierKey(name, NoteEncoding.SpkiKeyHash(spki), EcdsaType, spki.ToArray(), key);
    }

    /// <summary>
    /// An RSA note key (PKCS#1 v1.5, SHA-256). Key id: Rekor v1 writes SHA-256(SPKI)[:4] for every key type
    /// (<paramref name="signedNoteKeyId"/> false, the default); rekor-tiles uses
    /// SHA-256(name ‖ 0x0A ‖ 0xFF ‖ "PKIX-RSA-PKCS#1v1.5" ‖ SPKI)[:4] (true).
    /// </summary>
    public static NoteVerifierKey ForRsa(string name, Crypto.PublicKey key, bool signedNoteKeyId = false)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!NoteEncoding.IsValidKeyName(name)) throw new ArgumentException($"invalid note key name '{name}'", nameof(name));
        if (key.Algorithm != KeyAlgorithm.Rsa) throw new ArgumentException("not an RSA key", nameof(key));
        var spki = key.SubjectPublicKeyInfo;
        var keyHash = signedNoteKeyId
            ? NoteEncoding.KeyHash(name, RsaType, [.. System.Text.Encoding.ASCII.GetBytes(RsaSchemeName), .. spki])
            : NoteEncoding.SpkiKeyHash(spki);
        return new NoteVerifierKey(name, keyHash, RsaType, spki.ToArray(), key);
    }

    public static NoteVerifierKey Parse(string vkey) =>
        TryParse(vkey, out var key, out var error) ? key : throw new FormatException(error.Message);

    /// <summary>Parses a verifier key; rejects unknown types, wrong key sizes, non-canonical base64 and a key id
    /// that does not match the key.</summary>
    public static bool TryParse(string? vkey, [NotNullWhen(true)] out NoteVerifierKey? key, [NotNullWhen(false)] out Finding? error)
    {
        key = null;
        error = null;
        if (string.IsNullOrEmpty(vkey) || vkey.Length > TransparencyLimits.MaxKeyNameLength + 1024)
        {
            error = Malformed("verifier key is empty or too long");
            return false;
        }
        var parts = vkey.Split('+', 3); // base64 may itself contain '+'
        if (parts.Length != 3)
        {
            error = Malformed("verifier key must have the form name+keyid+key");
            return false;
        }
        var (name, hashText, keyText) = (parts[0], parts[1], parts[2]);
        if (!NoteEncoding.IsValidKeyName(name))
        {
            error = Malformed("verifier key name is empty or contains spaces");
            return false;
        }
        if (hashText.Length != 8 || !hashText.All(char.IsAsciiHexDigitLower) ||
            !uint.TryParse(hashText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var keyHash))
        {
            error = Malformed("verifier key id must be 8 lowercase hex digits");
            return false;
        }
        var raw = NoteEncoding.DecodeBase64Strict(keyText);
        if (raw is null || raw.Length < 2)
        {
            error = Malformed("verifier key is not canonical base64");
            return false;
        }
        var type = raw[0];
        var publicKey = raw.AsSpan(1);
        uint computed;
        Crypto.PublicKey? ecdsa = null;
        switch (type)
        {
            case Ed25519Type:
            case Ed25519CosignatureType:
                if (publicKey.Length != Ed25519.PublicKeySize)
                {
                    error = Malformed($"Ed25519 verifier keys hold 32 bytes, got {publicKey.Length}");
                    return false;
                }
                computed = NoteEncoding.KeyHash(name, type, publicKey);
                break;
            case EcdsaType:
                ecdsa = ImportP256(publicKey);
                if (ecdsa is null)
                {
                    error = new Finding(TransparencyCodes.NoteKeyUnsupported, "ECDSA verifier key is not a P-256 SubjectPublicKeyInfo");
                    return false;
                }
                computed = NoteEncoding.SpkiKeyHash(publicKey);
                break;
            default:
                error = new Finding(TransparencyCodes.NoteKeyUnsupported, $"signature type 0x{type:x2} is not supported");
                return false;
        }
        if (computed != keyHash)
        {
            error = new Finding(TransparencyCodes.NoteKeyHashMismatch, $"verifier key id {hashText} does not match the key ({computed:x8})",
                new Dictionary<string, string> { ["expected"] = $"{computed:x8}", ["found"] = hashText });
            return false;
        }
        key = new NoteVerifierKey(name, keyHash, type, publicKey.ToArray(), ecdsa);
        return true;
    }

    private static Crypto.PublicKey? ImportP256(ReadOnlySpan<byte> spki) =>
        Crypto.PublicKey.TryParseSubjectPublicKeyInfo(spki, out var key, out _) && key.Algorithm == KeyAlgorithm.EcdsaP256 ? key : null;

    private static Finding Malformed(string message) => new(TransparencyCodes.NoteKeyMalformed, message);
}
