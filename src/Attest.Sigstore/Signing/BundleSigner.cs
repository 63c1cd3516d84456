using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Core;
using Attest.Core.Crypto;

namespace Attest.Sigstore.Signing;

/// <summary>
/// The key that signs the content of a bundle and the verification material the bundle publishes for it: a managed
/// key (<c>verificationMaterial.publicKey.hint</c>) or a signing certificate (<c>verificationMaterial.certificate</c>,
/// keyless style; its issuing chain belongs in the trusted root, not in the bundle).
/// </summary>
public abstract class BundleSigner
{
    private protected BundleSigner(byte[] subjectPublicKeyInfo, string? hint, X509Certificate2? certificate)
    {
        SubjectPublicKeyInfo = subjectPublicKeyInfo;
        Hint = hint;
        Certificate = certificate;
    }

    /// <summary>DER SubjectPublicKeyInfo of the signing key.</summary>
    public byte[] SubjectPublicKeyInfo { get; }

    /// <summary>The unauthenticated key hint of a key-signed bundle; null for certificate signers.</summary>
    public string? Hint { get; }

    /// <summary>The signing certificate (leaf) of a keyless-style signer; null for managed keys.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>What the transparency log records as the verifier: the certificate DER or the key's SPKI DER, PEM-armoured.</summary>
    internal string VerifierPem => Certificate is { } c ? Pem.Encode(Pem.CertificateLabel, c.RawData) : Pem.Encode(Pem.PublicKeyLabel, SubjectPublicKeyInfo);

    /// <summary>Signs data (ECDSA: SHA-256 then ASN.1 DER; Ed25519: the data itself).</summary>
    public abstract byte[] SignData(ReadOnlySpan<byte> data);

    /// <summary>Signs a precomputed SHA-256 digest, so that a verifier that knows only the digest can check it.</summary>
    /// <exception cref="NotSupportedException">The key signs messages, not digests (pure Ed25519).</exception>
    public abstract byte[] SignDigest(Digest digest);

    /// <summary>A managed ECDSA key (P-256 with SHA-256). The signer does not own or dispose the key.</summary>
    public static BundleSigner ForEcdsa(ECDsa key, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize != 256) throw new ArgumentException("managed ECDSA keys must be P-256 (signatures are over SHA-256)", nameof(key));
        var spki = key.ExportSubjectPublicKeyInfo();
        return new EcdsaBundleSigner(key, spki, hint ?? DefaultHint(spki), null);
    }

    /// <summary>A managed Ed25519 key from its 32-byte seed.</summary>
    public static BundleSigner ForEd25519(ReadOnlySpan<byte> seed, string? hint = null)
    {
        if (seed.Length != Ed25519.SeedSize) throw new ArgumentException($"Ed25519 seeds are {Ed25519.SeedSize} bytes", nameof(seed));
        var spki = Ed25519SubjectPublicKeyInfo(Ed25519.PublicKeyFromSeed(seed));
        return new Ed25519BundleSigner(seed.ToArray(), spki, hint ?? DefaultHint(spki));
    }

    /// <summary>An ECDSA key certified by <paramref name="certificate"/> (a Fulcio-style leaf). The key must be the certificate's.</summary>
    public static BundleSigner ForCertificate(ECDsa key, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(certificate);
        if (key.KeySize != 256) throw new ArgumentException("certified ECDSA keys must be P-256 (signatures are over SHA-256)", nameof(key));
        var spki = key.ExportSubjectPublicKeyInfo();
        if (!spki.AsSpan().SequenceEqual(certificate.PublicKey.ExportSubjectPublicKeyInfo()))
            throw new ArgumentException("the certificate does not certify this key", nameof(certificate));
        return new EcdsaBundleSigner(key, spki, null, certificate);
    }

    /// <summary>cosign's hint: base64 of the SHA-256 of the SPKI DER.</summary>
    private static string DefaultHint(byte[] spki) => Convert.ToBase64String(SHA256.HashData(spki));

    /// <summary>RFC 8410 §4: SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING key }.</summary>
    internal static byte[] Ed25519SubjectPublicKeyInfo(ReadOnlySpan<byte> rawKey)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence()) writer.WriteObjectIdentifier(Attest.Core.Crypto.PublicKey.Ed25519Oid);
            writer.WriteBitString(rawKey);
        }
        return writer.Encode();
    }

    private sealed class EcdsaBundleSigner(ECDsa key, byte[] spki, string? hint, X509Certificate2? certificate) : BundleSigner(spki, hint, certificate)
    {
        public override byte[] SignData(ReadOnlySpan<byte> data) => key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        public override byte[] SignDigest(Digest digest)
        {
            if (digest.Algorithm != "sha256") throw new NotSupportedException($"ECDSA P-256 signs SHA-256 digests, not {digest.Algorithm}");
            return key.SignHash(digest.Value, DSASignatureFormat.Rfc3279DerSequence);
        }
    }

    private sealed class Ed25519BundleSigner(byte[] seed, byte[] spki, string hint) : BundleSigner(spki, hint, null)
    {
        public override byte[] SignData(ReadOnlySpan<byte> data) => Ed25519.Sign(seed, data);

        public override byte[] SignDigest(Digest digest) =>
            throw new NotSupportedException("pure Ed25519 signs the message itself; sign the artifact bytes instead of its digest");
    }
}
