using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Sigstore.Signing;
using Attest.Sigstore.TrustRoot;

namespace Attest.Testing;

/// <summary>
/// An in-process fake Sigstore for tests: an ephemeral Rekor-style log key, an in-memory transparency log, a
/// Fulcio-style CA with a CT log that embeds SCTs in the leaves it issues, and the trusted root that lists them all. Signs fresh bundles offline; every instance is independent. Not thread-safe for
/// disposal, otherwise safe to share within a test.
/// </summary>
public sealed class TestSigstore : IDisposable
{
    public const string LogHostname = "rekor.attest.test";
    public const string FulcioUrl = "https://fulcio.attest.test";
    public const string CtLogUrl = "https://ctfe.attest.test";

    private const string FulcioIssuerV1Oid = "1.3.6.1.4.1.57264.1.1";
    private const string FulcioIssuerV2Oid = "1.3.6.1.4.1.57264.1.8";
    private const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";

    private readonly ECDsa _logKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _ctKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestSigstore(TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        Log = new InMemoryTransparencyLog(_logKey, LogHostname, Time, treeId: RandomNumberGenerator.GetInt32(1, int.MaxValue));
        Builder = new BundleBuilder(Log);
        var validFrom = Time.GetUtcNow().AddHours(-1);
        var caRequest = new CertificateRequest("CN=attest-test-fulcio, O=attest.test", _caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using (var withKey = caRequest.CreateSelfSigned(validFrom, validFrom.AddDays(1)))
            FulcioRoot = X509CertificateLoader.LoadCertificate(withKey.RawData);
        CtLog = new CertificateTransparencyLogSigner(_ctKey, Time);
        TrustedRootJson = new TrustedRootBuilder()
            .AddTransparencyLog(Log.BaseUrl, Log.PublicKeyInfo, validFrom)
            .AddCertificateAuthority(FulcioUrl, [FulcioRoot], validFrom)
            .AddCertificateTransparencyLog(CtLogUrl, CtLog.PublicKeyInfo, validFrom)
            .ToJson();
        TrustedRoot = TrustedRoot.Parse(TrustedRootJson);
    }

    public TimeProvider Time { get; }

    public InMemoryTransparencyLog Log { get; }

    public BundleBuilder Builder { get; }

    /// <summary>trusted_root.json listing <see cref="Log"/>.</summary>
    public byte[] TrustedRootJson { get; }

    public TrustedRoot TrustedRoot { get; }

    /// <summary>The self-signed root of the Fulcio-style CA (the trust anchor the trusted root lists).</summary>
    public X509Certificate2 FulcioRoot { get; }

    public CertificateTransparencyLogSigner CtLog { get; }

    /// <summary>
    /// Issues a Fulcio-style leaf for <paramref name="key"/>: empty subject, critical SAN (an email when the identity
    /// has an '@' and no scheme, else a URI), codeSigning EKU, the OIDC issuer as extensions 1.3.6.1.4.1.57264.1.1 (raw
    /// UTF-8) and .1.8 (DER UTF8String), valid for 10 minutes, with an SCT from <see cref="CtLog"/> embedded.
    /// </summary>
    /// <param name="alterSctList">Test hook: rewrites the SCT list extension value before the CA signs the leaf.</param>
    public X509Certificate2 IssueSigningCertificate(ECDsa key, string subjectAlternativeName, string oidcIssuer, Func<byte[], byte[]>? alterSctList = null)
    {
        var request = new CertificateRequest(new X500DistinguishedName([0x30, 0x00]), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CodeSigningOid)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(FulcioRoot, true, false));
        var san = new SubjectAlternativeNameBuilder();
        if (subjectAlternativeName.Contains('@', StringComparison.Ordinal) && !subjectAlternativeName.Contains(':', StringComparison.Ordinal))
            san.AddEmailAddress(subjectAlternativeName);
        else
            san.AddUri(new Uri(subjectAlternativeName));
        request.CertificateExtensions.Add(san.Build(critical: true));
        request.CertificateExtensions.Add(new X509Extension(FulcioIssuerV1Oid, Encoding.UTF8.GetBytes(oidcIssuer), false));
        var utf8String = new AsnWriter(AsnEncodingRules.DER);
        utf8String.WriteCharacterString(UniversalTagNumber.UTF8String, oidcIssuer);
        request.CertificateExtensions.Add(new X509Extension(FulcioIssuerV2Oid, utf8String.Encode(), false));

        var now = DateTimeOffset.FromUnixTimeSeconds(Time.GetUtcNow().ToUnixTimeSeconds());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var generator = X509SignatureGenerator.CreateForECDsa(_caKey);
        // The precertificate the CT log signs is the leaf without the SCT list; the leaf repeats every field.
        using var precertificate = request.Create(FulcioRoot.SubjectName, generator, now, now.AddMinutes(10), serial);
        var sctList = CtLog.CreateSctListExtension(precertificate, FulcioRoot);
        if (alterSctList is not null) sctList = new X509Extension(sctList.Oid!, alterSctList(sctList.RawData), sctList.Critical);
        request.CertificateExtensions.Add(sctList);
        using var leaf = request.Create(FulcioRoot.SubjectName, generator, now, now.AddMinutes(10), serial);
        return X509CertificateLoader.LoadCertificate(leaf.RawData);
    }

    /// <summary>A keyless cosign-style image signature: an ephemeral key, a leaf for the identity, and a DSSE statement about the image.</summary>
    public byte[] SignImageKeyless(Digest imageDigest, string subjectAlternativeName, string oidcIssuer)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = IssueSigningCertificate(key, subjectAlternativeName, oidcIssuer);
        var statement = StatementWriter.Write([(imageDigest.ToString(), imageDigest)], StatementWriter.CosignSignPredicateType);
        return Builder.SignStatementAsync(BundleSigner.ForCertificate(key, certificate), statement).GetAwaiter().GetResult();
    }

    /// <summary>A keyless attestation: an ephemeral key, a leaf for the identity, and a DSSE in-toto statement of
    /// <paramref name="predicateType"/> about the image.</summary>
    public byte[] AttestImageKeyless(Digest imageDigest, string predicateType, string predicateJson, string subjectAlternativeName, string oidcIssuer)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = IssueSigningCertificate(key, subjectAlternativeName, oidcIssuer);
        using var predicate = JsonDocument.Parse(predicateJson);
        var statement = StatementWriter.Write([(imageDigest.ToString(), imageDigest)], predicateType, predicate.RootElement);
        return Builder.SignStatementAsync(BundleSigner.ForCertificate(key, certificate), statement).GetAwaiter().GetResult();
    }

    /// <summary>A DSSE bundle over an in-toto Statement v1 whose single subject is the image digest.</summary>
    public byte[] SignImageDsse(Digest imageDigest, string predicateType, string predicateJson, ECDsa key)
    {
        using var predicate = JsonDocument.Parse(predicateJson);
        return SignImageDsse(imageDigest, predicateType, predicate.RootElement, key);
    }

    /// <inheritdoc cref="SignImageDsse(Digest, string, string, ECDsa)"/>
    public byte[] SignImageDsse(Digest imageDigest, string predicateType, JsonElement predicate, ECDsa key)
    {
        var statement = StatementWriter.Write([(imageDigest.ToString(), imageDigest)], predicateType, predicate);
        // The in-memory log completes synchronously.
        return Builder.SignStatementAsync(BundleSigner.ForEcdsa(key), statement).GetAwaiter().GetResult();
    }

    /// <summary>A cosign-style image signature: a DSSE statement with predicate type <c>https://sigstore.dev/cosign/sign/v1</c> about the image digest.</summary>
    public byte[] SignImage(Digest imageDigest, ECDsa key) =>
        SignImageDsse(imageDigest, StatementWriter.CosignSignPredicateType, "{}", key);

    /// <summary>A message-signature bundle over a SHA-256 digest (hashedrekord).</summary>
    public byte[] SignDigest(Digest digest, ECDsa key) =>
        Builder.SignDigestAsync(BundleSigner.ForEcdsa(key), digest).GetAwaiter().GetResult();

    public void WriteTrustedRoot(string path) => File.WriteAllBytes(path, TrustedRootJson);

    public void Dispose()
    {
        _logKey.Dispose();
        _caKey.Dispose();
        _ctKey.Dispose();
        FulcioRoot.Dispose();
    }
}
