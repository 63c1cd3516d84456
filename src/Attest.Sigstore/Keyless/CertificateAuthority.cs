using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Attest.Sigstore.Signing;
using Attest.Sigstore.Verification;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;
using BigInteger = Org.BouncyCastle.Math.BigInteger;
using X509Extension = System.Security.Cryptography.X509Certificates.X509Extension;

namespace Attest.Sigstore.Keyless;

/// <summary>A certificate the authority issued: the leaf's DER (with its embedded SCT), the chain up to the root, and the
/// precertificate that was recorded before the SCT was signed.</summary>
public sealed record IssuedCertificate(byte[] Leaf, IReadOnlyList<X509Certificate2> Chain, byte[] Precertificate, string SerialNumber);

/// <summary>
/// A Fulcio-style certificate authority: issues short-lived code-signing certificates for a public key and a
/// <see cref="FulcioIdentity"/> (empty subject, critical SAN, codeSigning EKU, the Fulcio extensions), each with an SCT
/// from the authority's CT log key embedded. Issuance follows RFC 6962: the precertificate (the leaf with the critical
/// poison extension instead of the SCT list) is handed to the caller to be recorded first, then the SCT is signed over
/// it, then the final leaf, which repeats every field of the precertificate. BouncyCastle encodes both and .NET signs
/// them: the certificates exist as bytes only, never decoded again into native certificate objects. Thread-safe.
/// </summary>
public sealed class CertificateAuthority
{
    public const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    private static readonly X509Name EmptyName = X509Name.GetInstance(new DerSequence());
    // The same for every certificate: built once.
    private static readonly X509Extension DigitalSignature = new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true);
    private static readonly X509Extension CodeSigning = new X509EnhancedKeyUsageExtension([new Oid(CodeSigningOid)], critical: false);
    private readonly X509Certificate2 _issuer;
    private readonly Attest.Core.Crypto.PublicKey _issuerKey;
    private readonly X509Name _issuerName;
    private readonly DotNetEcdsaSignatureFactory _signatureFactory;
    private readonly CertificateTransparencyLogSigner _ct;
    private readonly TimeProvider _time;
    private readonly X509Extension _authorityKeyId;
    private readonly X509Extension _poison = new(SctStep.PrecertificatePoisonOid, [0x05, 0x00], critical: true);
    // About a minute of issuance at a thousand certificates a second, in each of two generations.
    private readonly RecentlyIssuedCertificates _recent = new(capacity: 65_536);

    /// <param name="chain">The issuing certificate first, then up to the root.</param>
    /// <param name="issuerKey">The issuing certificate's private key (not owned).</param>
    public CertificateAuthority(IReadOnlyList<X509Certificate2> chain, ECDsa issuerKey, CertificateTransparencyLogSigner ct, TimeProvider time, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(issuerKey);
        ArgumentNullException.ThrowIfNull(ct);
        ArgumentNullException.ThrowIfNull(time);
        if (chain.Count == 0) throw new ArgumentException("the chain needs the issuing certificate", nameof(chain));
        _issuer = chain[0];
        _issuerKey = Attest.Core.Crypto.PublicKey.FromCertificate(_issuer);
        if (!_issuer.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(issuerKey.ExportSubjectPublicKeyInfo()))
            throw new ArgumentException("the key is not the issuing certificate's", nameof(issuerKey));
        Chain = [.. chain];
        ChainPem = [.. chain.Select(c => c.ExportCertificatePem())];
        _issuerName = X509Name.GetInstance(Asn1Object.FromByteArray(_issuer.SubjectName.RawData));
        _signatureFactory = new DotNetEcdsaSignatureFactory(issuerKey);
        _ct = ct;
        _time = time;
        _authorityKeyId = X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false);
        Lifetime = lifetime ?? DefaultLifetime;
    }

    /// <summary>The issuing certificate first, then up to the root, as trusted roots and trust bundles list it.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    /// <summary><see cref="Chain"/> as PEM, as every issued certificate's response repeats it.</summary>
    public IReadOnlyList<string> ChainPem { get; }

    public TimeSpan Lifetime { get; }

    /// <summary>Issues a certificate for <paramref name="publicKey"/>; <paramref name="recordPrecertificate"/> must make the
    /// precertificate durable (or throw, and nothing is issued).</summary>
    public async Task<IssuedCertificate> IssueAsync(System.Security.Cryptography.X509Certificates.PublicKey publicKey, FulcioIdentity identity,
        Func<byte[], string, CancellationToken, Task> recordPrecertificate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(recordPrecertificate);
        var extensions = new List<X509Extension>
        {
            DigitalSignature,
            CodeSigning,
            new X509SubjectKeyIdentifierExtension(publicKey, critical: false),
            _authorityKeyId,
        };
        var san = new SubjectAlternativeNameBuilder();
        if (identity.SubjectIsEmail) san.AddEmailAddress(identity.Subject);
        else san.AddUri(new Uri(identity.Subject, UriKind.Absolute));
        extensions.Add(san.Build(critical: true));
        foreach (var (arc, value) in identity.Extensions) extensions.Add(FulcioExtension(arc, value));

        // Whole seconds: validity is encoded in seconds anyway, and timestamps compared against it stay exact.
        var now = DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds());
        var notAfter = now + Lifetime;
        if (notAfter > _issuer.NotAfter) throw new InvalidOperationException("the issuing certificate expires before the leaf would");
        var serial = RandomNumberGenerator.GetBytes(20);
        serial[0] &= 0x7f;
        serial[0] |= 0x01; // positive and 20 bytes, as CA/B BR 7.1 asks (at least 64 bits of entropy)
        var serialHex = Convert.ToHexStringLower(serial);
        var subjectPublicKeyInfo = SubjectPublicKeyInfo.GetInstance(publicKey.ExportSubjectPublicKeyInfo());

        byte[] Certificate(X509Extension last)
        {
            var generator = new X509V3CertificateGenerator();
            generator.SetSerialNumber(new BigInteger(1, serial));
            generator.SetIssuerDN(_issuerName);
            generator.SetSubjectDN(EmptyName);
            generator.SetNotBefore(now.UtcDateTime);
            generator.SetNotAfter(notAfter.UtcDateTime);
            generator.SetSubjectPublicKeyInfo(subjectPublicKeyInfo);
            // The values as they are (Fulcio's arcs 1-6 are raw UTF-8, not DER), each in its extnValue OCTET STRING.
            foreach (var extension in extensions.Append(last))
                generator.AddExtension(new Extension(new DerObjectIdentifier(extension.Oid!.Value!), DerBoolean.GetInstance(extension.Critical), new DerOctetString(extension.RawData)));
            return generator.Generate(_signatureFactory).GetEncoded();
        }

        var precertificate = Certificate(_poison);
        await recordPrecertificate(precertificate, serialHex, cancellationToken).ConfigureAwait(false);
        var leaf = Certificate(_ct.CreateSctListExtension(precertificate, _issuer));
        _recent.Add(leaf);
        return new IssuedCertificate(leaf, Chain, precertificate, serialHex);
    }

    /// <summary>Whether this authority issued <paramref name="certificateDer"/> (its issuing certificate's name and key
    /// signed it) for code signing, and it is valid at <paramref name="time"/>; <paramref name="problem"/> says why not.</summary>
    public bool Issued(byte[] certificateDer, DateTimeOffset time, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        if (!Attest.Core.X509.CertificateFields.TryParse(certificateDer, out var fields, out var error)) { problem = $"the certificate cannot be read ({error})"; return false; }
        return Issued(fields, time, out problem);
    }

    /// <inheritdoc cref="Issued(byte[], DateTimeOffset, out string?)"/>
    public bool Issued(Attest.Core.X509.CertificateFields fields, DateTimeOffset time, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (!fields.IssuerName.Span.SequenceEqual(_issuer.SubjectName.RawData)) { problem = "the certificate was not issued by Attest's CA"; return false; }
        if (!_recent.Contains(fields.RawData) && !SignedByIssuer(fields)) { problem = "the certificate's signature does not verify with Attest's CA key"; return false; }
        if (!fields.AllowsCodeSigning()) { problem = "the certificate does not allow code signing"; return false; }
        if (time < fields.NotBefore || time > fields.NotAfter)
        {
            problem = $"the certificate is valid from {fields.NotBefore:O} to {fields.NotAfter:O}, not now ({time:O})";
            return false;
        }
        problem = null;
        return true;
    }

    private bool SignedByIssuer(Attest.Core.X509.CertificateFields fields)
    {
        var scheme = fields.SignatureAlgorithmOid switch
        {
            "1.2.840.10045.4.3.2" => Attest.Core.Crypto.SignatureScheme.EcdsaSha256,
            "1.2.840.10045.4.3.3" => Attest.Core.Crypto.SignatureScheme.EcdsaSha384,
            "1.2.840.10045.4.3.4" => Attest.Core.Crypto.SignatureScheme.EcdsaSha512,
            _ => (Attest.Core.Crypto.SignatureScheme?)null,
        };
        return scheme is not null && _issuerKey.VerifyData(fields.TbsCertificate.Span, fields.Signature.Span, scheme.Value);
    }

    /// <summary>Arcs 1–6 hold raw UTF-8, later arcs a DER UTF8String (fulcio docs/oid-info.md).</summary>
    private static X509Extension FulcioExtension(int arc, string value)
    {
        var oid = $"{Attest.Core.X509.FulcioExtensions.Arc}.{arc}";
        if (FulcioIdentity.IsRawArc(arc)) return new X509Extension(oid, Encoding.UTF8.GetBytes(value), critical: false);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
        return new X509Extension(oid, writer.Encode(), critical: false);
    }
}
