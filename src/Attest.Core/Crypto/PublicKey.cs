using System.Diagnostics.CodeAnalysis;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Attest.Core.Crypto;

/// <summary>The key types Attest verifies with.</summary>
public enum KeyAlgorithm
{
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    Rsa,
    Ed25519,
}

/// <summary>How a signature is checked: the hash (or none, for Ed25519) and, for RSA, the padding.</summary>
public enum SignatureScheme
{
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    RsaPssSha256,
    RsaPssSha384,
    RsaPssSha512,
    Ed25519,
}

/// <summary>ECDSA signature encodings: ASN.1 DER <c>SEQUENCE { r, s }</c> (X.509, Sigstore) or IEEE P1363 <c>r ‖ s</c> (JWS, some DSSE signers).</summary>
public enum SignatureEncoding
{
    Der,
    IeeeP1363,
}

/// <summary>
/// A public key parsed from a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). Immutable and safe to share between threads;
/// verification never throws for a bad signature, it returns <c>false</c>.
/// </summary>
public abstract class PublicKey
{
    /// <summary>Upper bound on an encoded key; the largest supported (RSA-8192 SPKI) is about 1.1 KB.</summary>
    public const int MaxEncodedLength = 4096;

    public const string EcPublicKeyOid = "1.2.840.10045.2.1";
    public const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    public const string Ed25519Oid = "1.3.101.112";
    public const string P256Oid = "1.2.840.10045.3.1.7";
    public const string P384Oid = "1.3.132.0.34";
    public const string P521Oid = "1.3.132.0.35";

    private protected PublicKey(byte[] subjectPublicKeyInfo) => _spki = subjectPublicKeyInfo;

    private readonly byte[] _spki;

    public abstract KeyAlgorithm Algorithm { get; }

    /// <summary>The DER SubjectPublicKeyInfo this key was read from (or re-encoded to, for PKCS#1 RSA input).</summary>
    public ReadOnlySpan<byte> SubjectPublicKeyInfo => _spki;

    /// <summary>The scheme a key of this type signs with when nothing else says: the curve's own hash for ECDSA, PKCS#1 v1.5 SHA-256 for RSA.</summary>
    public SignatureScheme DefaultScheme => Algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => SignatureScheme.EcdsaSha256,
        KeyAlgorithm.EcdsaP384 => SignatureScheme.EcdsaSha384,
        KeyAlgorithm.EcdsaP521 => SignatureScheme.EcdsaSha512,
        KeyAlgorithm.Rsa => SignatureScheme.RsaPkcs1Sha256,
        _ => SignatureScheme.Ed25519,
    };

    /// <summary>SHA-256 of the SPKI DER: the RFC 6962 log ID of a CT log, the key ID of a Rekor v1 log.</summary>
    public byte[] Sha256Fingerprint() => SHA256.HashData(_spki);

    /// <summary>Verifies <paramref name="signature"/> over <paramref name="data"/>.</summary>
    public abstract bool VerifyData(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, SignatureScheme scheme, SignatureEncoding encoding = SignatureEncoding.Der);

    /// <summary>Verifies a signature over a precomputed digest (not possible for pure Ed25519, which returns false).</summary>
    public abstract bool VerifyHash(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature, SignatureScheme scheme, SignatureEncoding encoding = SignatureEncoding.Der);

    /// <summary>Whether <paramref name="scheme"/> is one this key can verify at all.</summary>
    public bool Supports(SignatureScheme scheme) => Algorithm switch
    {
        KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 or KeyAlgorithm.EcdsaP521 =>
            scheme is SignatureScheme.EcdsaSha256 or SignatureScheme.EcdsaSha384 or SignatureScheme.EcdsaSha512,
        KeyAlgorithm.Rsa => scheme is >= SignatureScheme.RsaPkcs1Sha256 and <= SignatureScheme.RsaPssSha512,
        _ => scheme == SignatureScheme.Ed25519,
    };

    public static HashAlgorithmName? HashOf(SignatureScheme scheme) => scheme switch
    {
        SignatureScheme.EcdsaSha256 or SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPssSha256 => HashAlgorithmName.SHA256,
        SignatureScheme.EcdsaSha384 or SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPssSha384 => HashAlgorithmName.SHA384,
        SignatureScheme.EcdsaSha512 or SignatureScheme.RsaPkcs1Sha512 or SignatureScheme.RsaPssSha512 => HashAlgorithmName.SHA512,
        _ => null,
    };

    public bool Equals(PublicKey? other) => other is not null && _spki.AsSpan().SequenceEqual(other._spki);

    /// <summary>Parses a DER SubjectPublicKeyInfo: EC (P-256, P-384, P-521), rsaEncryption, Ed25519 (RFC 8410). Trailing bytes are rejected.</summary>
    public static bool TryParseSubjectPublicKeyInfo(ReadOnlySpan<byte> der, [NotNullWhen(true)] out PublicKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (der.Length == 0) { error = "public key is empty"; return false; }
        if (der.Length > MaxEncodedLength) { error = $"public key is {der.Length} bytes, more than {MaxEncodedLength}"; return false; }
        var copy = der.ToArray();
        try
        {
            var reader = new AsnReader(copy, AsnEncodingRules.DER);
            var spki = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var algorithm = spki.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            string? parameter = null;
            var hasParameters = algorithm.HasData;
            if (hasParameters)
            {
                var tag = algorithm.PeekTag();
                if (tag.HasSameClassAndValue(Asn1Tag.ObjectIdentifier)) parameter = algorithm.ReadObjectIdentifier();
                else algorithm.ReadNull();
            }
            algorithm.ThrowIfNotEmpty();
            var bits = spki.ReadBitString(out var unused);
            spki.ThrowIfNotEmpty();
            if (unused != 0) { error = "public key bit string has unused bits"; return false; }
            switch (oid)
            {
                case EcPublicKeyOid:
                    var curve = parameter switch
                    {
                        P256Oid => (KeyAlgorithm?)KeyAlgorithm.EcdsaP256,
                        P384Oid => KeyAlgorithm.EcdsaP384,
                        P521Oid => KeyAlgorithm.EcdsaP521,
                        _ => null,
                    };
                    if (curve is null) { error = $"elliptic curve '{parameter ?? "(none)"}' is not supported (P-256, P-384, P-521)"; return false; }
                    if (OpenSslEcKey.TryImport(curve.Value, bits) is { } native)
                    {
                        key = new EcdsaPublicKey(copy, native, curve.Value);
                        break;
                    }
                    // Not importable natively (another platform, or a point OpenSSL refused): .NET decides, and words the error.
                    var ec = ECDsa.Create();
                    ec.ImportSubjectPublicKeyInfo(copy, out var ecRead);
                    if (ecRead != copy.Length) { ec.Dispose(); error = "EC public key has trailing bytes"; return false; }
                    key = new EcdsaPublicKey(copy, ec, curve.Value);
                    break;
                case RsaEncryptionOid:
                    var rsa = RSA.Create();
                    rsa.ImportSubjectPublicKeyInfo(copy, out var rsaRead);
                    if (rsaRead != copy.Length) { rsa.Dispose(); error = "RSA public key has trailing bytes"; return false; }
                    if (rsa.KeySize < RsaPublicKey.MinimumKeySize) { rsa.Dispose(); error = $"RSA key of {rsa.KeySize} bits is below the {RsaPublicKey.MinimumKeySize}-bit minimum"; return false; }
                    key = new RsaPublicKey(copy, rsa);
                    break;
                case Ed25519Oid:
                    // RFC 8410 §3: the parameters MUST be absent.
                    if (hasParameters) { error = "Ed25519 key must not carry algorithm parameters"; return false; }
                    if (bits.Length != Crypto.Ed25519.PublicKeySize) { error = $"Ed25519 key must be {Crypto.Ed25519.PublicKeySize} bytes, got {bits.Length}"; return false; }
                    key = new Ed25519PublicKey(copy, bits.ToArray());
                    break;
                default:
                    error = $"public key algorithm {oid} is not supported";
                    return false;
            }
            error = null;
            return true;
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            error = $"public key is not valid DER SubjectPublicKeyInfo ({e.Message})";
            return false;
        }
    }

    /// <summary>Parses a PKCS#1 RSAPublicKey (RFC 8017 §A.1.1), as some CT log entries of Sigstore trusted roots carry.</summary>
    public static bool TryParsePkcs1RsaPublicKey(ReadOnlySpan<byte> der, [NotNullWhen(true)] out PublicKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (der.Length == 0 || der.Length > MaxEncodedLength) { error = "RSA public key is empty or too large"; return false; }
        try
        {
            var rsa = RSA.Create();
            rsa.ImportRSAPublicKey(der, out var read);
            if (read != der.Length) { rsa.Dispose(); error = "RSA public key has trailing bytes"; return false; }
            if (rsa.KeySize < RsaPublicKey.MinimumKeySize) { rsa.Dispose(); error = $"RSA key of {rsa.KeySize} bits is below the minimum"; return false; }
            key = new RsaPublicKey(rsa.ExportSubjectPublicKeyInfo(), rsa);
            error = null;
            return true;
        }
        catch (CryptographicException e)
        {
            error = $"not a PKCS#1 RSA public key ({e.Message})";
            return false;
        }
    }

    /// <summary>Parses a PEM <c>PUBLIC KEY</c> (SPKI) block; <c>RSA PUBLIC KEY</c> (PKCS#1) is accepted too.</summary>
    public static bool TryParsePem(ReadOnlySpan<char> pem, [NotNullWhen(true)] out PublicKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (!Pem.TryReadFirst(pem, out var label, out var der, out error)) return false;
        return label switch
        {
            Pem.PublicKeyLabel => TryParseSubjectPublicKeyInfo(der, out key, out error),
            Pem.RsaPublicKeyLabel => TryParsePkcs1RsaPublicKey(der, out key, out error),
            _ => Fail($"PEM block '{label}' is not a public key", out error),
        };
    }

    /// <summary>Reads a DER SPKI or any PEM public key, whichever the bytes are.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out PublicKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (bytes.Length > 0 && bytes[0] == 0x30) return TryParseSubjectPublicKeyInfo(bytes, out key, out error);
        if (bytes.Length > Pem.MaxLength) { error = "public key file is too large"; return false; }
        return TryParsePem(System.Text.Encoding.UTF8.GetString(bytes), out key, out error);
    }

    public static PublicKey FromCertificate(X509Certificate2 certificate)
    {
        var spki = SubjectPublicKeyInfoOf(certificate.RawData);
        return TryParseSubjectPublicKeyInfo(spki, out var key, out var error) ? key : throw new CryptographicException(error);
    }

    /// <summary>The SubjectPublicKeyInfo of a DER certificate, read straight from the TBSCertificate (RFC 5280 §4.1).</summary>
    public static ReadOnlySpan<byte> SubjectPublicKeyInfoOf(byte[] certificate)
    {
        try
        {
            var reader = new AsnReader(certificate, AsnEncodingRules.DER);
            var tbs = reader.ReadSequence().ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0))) tbs.ReadEncodedValue(); // version
            tbs.ReadEncodedValue(); // serialNumber
            tbs.ReadEncodedValue(); // signature
            tbs.ReadEncodedValue(); // issuer
            tbs.ReadEncodedValue(); // validity
            tbs.ReadEncodedValue(); // subject
            return tbs.ReadEncodedValue().Span;
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException($"certificate is not valid DER ({e.Message})", e);
        }
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }
}

/// <summary>An ECDSA key: an OpenSSL <c>EC_KEY</c> where that binding is available (see <see cref="OpenSslEcKey"/>), .NET's ECDsa otherwise.</summary>
internal sealed class EcdsaPublicKey : PublicKey
{
    private readonly OpenSslEcKey? _native;
    private readonly ECDsa? _managed;
    private readonly KeyAlgorithm _algorithm;

    public EcdsaPublicKey(byte[] spki, ECDsa key, KeyAlgorithm algorithm) : base(spki)
    {
        _managed = key;
        _algorithm = algorithm;
    }

    public EcdsaPublicKey(byte[] spki, OpenSslEcKey key, KeyAlgorithm algorithm) : base(spki)
    {
        _native = key;
        _algorithm = algorithm;
    }

    public override KeyAlgorithm Algorithm => _algorithm;

    /// <summary>Which implementation checks this key's signatures (for tests that hold both to the same verdicts).</summary>
    internal bool IsNative => _native is not null;

    public override bool VerifyData(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, SignatureScheme scheme, SignatureEncoding encoding = SignatureEncoding.Der)
    {
        if (!Supports(scheme) || signature.IsEmpty) return false;
        if (_native is not null)
        {
            Span<byte> digest = stackalloc byte[HashLength(scheme)];
            CryptographicOperations.HashData(HashOf(scheme)!.Value, data, digest);
            return VerifyNative(digest, signature, encoding);
        }
        if (!ManagedSignature(signature, encoding, out var p1363)) return false;
        try
        {
            return _managed!.VerifyData(data, p1363, HashOf(scheme)!.Value, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public override bool VerifyHash(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature, SignatureScheme scheme, SignatureEncoding encoding = SignatureEncoding.Der)
    {
        if (!Supports(scheme) || signature.IsEmpty) return false;
        if (hash.Length != HashLength(scheme)) return false;
        if (_native is not null) return VerifyNative(hash, signature, encoding);
        if (!ManagedSignature(signature, encoding, out var p1363)) return false;
        try
        {
            return _managed!.VerifyHash(hash, p1363, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private bool VerifyNative(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature, SignatureEncoding encoding)
    {
        if (encoding == SignatureEncoding.Der) return _native!.VerifyDigest(digest, signature);
        return EcdsaSignature.TryP1363ToDer(signature, OpenSslEcKey.FieldBytes(_algorithm), out var der) && _native!.VerifyDigest(digest, der);
    }

    private static int HashLength(SignatureScheme scheme) => scheme switch
    {
        SignatureScheme.EcdsaSha256 => 32,
        SignatureScheme.EcdsaSha384 => 48,
        _ => 64,
    };

    /// <summary>
    /// The signature as <c>r ‖ s</c> for .NET. A DER signature is decoded here rather than by .NET, whose decoder takes a
    /// negative INTEGER as its magnitude (Wycheproof's "ASN encoding of s misses leading 0"): one accepted encoding per
    /// signature, as OpenSSL's ECDSA_verify has.
    /// </summary>
    private bool ManagedSignature(ReadOnlySpan<byte> signature, SignatureEncoding encoding, out byte[] p1363)
    {
        if (encoding == SignatureEncoding.Der) return EcdsaSignature.TryDerToP1363(signature, OpenSslEcKey.FieldBytes(_algorithm), out p1363);
        p1363 = signature.ToArray();
        return true;
    }
}

/// <summary>ECDSA signature encodings converted into one another.</summary>
internal static class EcdsaSignature
{
    /// <summary>IEEE P1363 <c>r ‖ s</c> (each exactly the field's size) to DER <c>SEQUENCE { INTEGER r, INTEGER s }</c>.</summary>
    public static bool TryP1363ToDer(ReadOnlySpan<byte> signature, int fieldBytes, out byte[] der)
    {
        der = [];
        if (signature.Length != 2 * fieldBytes) return false;
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(Minimal(signature[..fieldBytes]));
            writer.WriteIntegerUnsigned(Minimal(signature[fieldBytes..]));
        }
        der = writer.Encode();
        return true;
    }

    /// <summary>
    /// Strict DER <c>SEQUENCE { INTEGER r, INTEGER s }</c> (minimal lengths and integers, nothing after) to IEEE P1363;
    /// false for negative integers and for values wider than the field.
    /// </summary>
    public static bool TryDerToP1363(ReadOnlySpan<byte> der, int fieldBytes, out byte[] p1363)
    {
        p1363 = [];
        try
        {
            AsnDecoder.ReadSequence(der, AsnEncodingRules.DER, out var contentOffset, out var contentLength, out var consumed);
            if (consumed != der.Length) return false;
            var content = der.Slice(contentOffset, contentLength);
            var r = AsnDecoder.ReadIntegerBytes(content, AsnEncodingRules.DER, out var read);
            var s = AsnDecoder.ReadIntegerBytes(content[read..], AsnEncodingRules.DER, out var readS);
            if (read + readS != content.Length) return false;
            var output = new byte[2 * fieldBytes];
            if (!TryWriteUnsigned(r, output.AsSpan(0, fieldBytes)) || !TryWriteUnsigned(s, output.AsSpan(fieldBytes))) return false;
            p1363 = output;
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    // A DER INTEGER's two's-complement bytes, right-aligned into the field's width; a negative value does not fit.
    private static bool TryWriteUnsigned(ReadOnlySpan<byte> integer, Span<byte> field)
    {
        if ((integer[0] & 0x80) != 0) return false;
        if (integer.Length > 1 && integer[0] == 0) integer = integer[1..];
        if (integer.Length > field.Length) return false;
        integer.CopyTo(field[(field.Length - integer.Length)..]);
        return true;
    }

    // DER integers carry no redundant leading zero bytes.
    private static ReadOnlySpan<byte> Minimal(ReadOnlySpan<byte> value)
    {
        var start = 0;
        while (start < value.Length - 1 && value[start] == 0) start++;
        return value[start..];
    }
}

internal sealed class RsaPublicKey : PublicKey
{
    public const int MinimumKeySize = 2048;

    private readonly RSA _key;

    public RsaPublicKey(byte[] spki, RSA key) : base(spki) => _key = key;

    public override KeyAlgorithm Algorithm => KeyAlgorithm.Rsa;

    public override bool VerifyData(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, SignatureScheme scheme, SignatureEncoding encoding = SignatureEncoding.Der)
    {
        if (!Supports(scheme) || signature.IsEmpty) return false;
        try
        {
            return _key.VerifyData(data, signature, HashOf(scheme)!.Value, Padding(scheme));
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public override bool VerifyHash(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature, SignatureScheme scheme, SignatureEncoding encoding = SignatureEncoding.Der)
    {
        if (!Supports(scheme) || signature.IsEmpty) return false;
        try
        {
            return _key.VerifyHash(hash, signature, HashOf(scheme)!.Value, Padding(scheme));
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static RSASignaturePadding Padding(SignatureScheme scheme) =>
        scheme is SignatureScheme.RsaPssSha256 or SignatureScheme.RsaPssSha384 or SignatureScheme.RsaPssSha512
            ? RSASignaturePadding.Pss
            : RSASignaturePadding.Pkcs1;
}

internal sealed class Ed25519PublicKey : PublicKey
{
    private readonly byte[] _raw;

    public Ed25519PublicKey(byte[] spki, byte[] raw) : base(spki) => _raw = raw;

    public override KeyAlgorithm Algorithm => KeyAlgorithm.Ed25519;

    public override bool VerifyData(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, SignatureScheme scheme, SignatureEncoding encoding = SignatureEncoding.Der) =>
        scheme == SignatureScheme.Ed25519 && Crypto.Ed25519.Verify(_raw, data, signature);

    /// <summary>Pure Ed25519 signs the message itself, so a digest alone cannot be checked.</summary>
    public override bool VerifyHash(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature, SignatureScheme scheme, SignatureEncoding encoding = SignatureEncoding.Der) => false;
}
