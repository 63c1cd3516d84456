using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Attest.Core.X509;
using Attest.Testing;

namespace Attest.Core.Tests.X509;

/// <summary>The AsnReader certificate reader agrees with X509Certificate2 on real certificates and is strict on bad DER.</summary>
public class CertificateFieldsTests
{
    private static byte[] BundleLeaf(string @case)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(RepositoryPaths.Vectors(["sigstore", "conformance", @case, "bundle.sigstore.json"])));
        var material = document.RootElement.GetProperty("verificationMaterial");
        var raw = material.TryGetProperty("certificate", out var single)
            ? single.GetProperty("rawBytes").GetString()!
            : material.GetProperty("x509CertificateChain").GetProperty("certificates")[0].GetProperty("rawBytes").GetString()!;
        return Convert.FromBase64String(raw);
    }

    private static byte[] SelfSigned(Action<CertificateRequest>? configure = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=test, O=attest", key, HashAlgorithmName.SHA256);
        configure?.Invoke(request);
        using var certificate = request.CreateSelfSigned(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), new DateTimeOffset(2050, 6, 7, 8, 9, 10, TimeSpan.Zero));
        return certificate.RawData;
    }

    [Theory]
    [InlineData("happy-path-v0.1")]
    [InlineData("happy-path-v0.3")]
    public void A_fulcio_leaf_reads_as_X509Certificate2_reads_it(string @case)
    {
        var der = BundleLeaf(@case);
        using var reference = X509CertificateLoader.LoadCertificate(der);
        Assert.True(CertificateFields.TryParse(der, out var fields, out var error), error);
        Assert.Equal(new DateTimeOffset(reference.NotBefore.ToUniversalTime()), fields.NotBefore);
        Assert.Equal(new DateTimeOffset(reference.NotAfter.ToUniversalTime()), fields.NotAfter);
        Assert.Equal(reference.IssuerName.RawData, fields.IssuerName.ToArray());
        Assert.Equal(reference.SubjectName.RawData, fields.SubjectName.ToArray());
        Assert.Equal(reference.PublicKey.ExportSubjectPublicKeyInfo(), fields.SubjectPublicKeyInfo.ToArray());
        Assert.Equal(reference.SignatureAlgorithm.Value, fields.SignatureAlgorithmOid);
        Assert.Equal(reference.Extensions.Select(e => (e.Oid!.Value, e.Critical, Convert.ToHexString(e.RawData))),
            fields.Extensions.Select(e => ((string?)e.Oid, e.Critical, Convert.ToHexString(e.Value.Span))));
        Assert.True(fields.AllowsCodeSigning());
        Assert.False(fields.IsSelfIssued);
        Assert.Equal(SubjectAlternativeName.Read(reference), SubjectAlternativeName.Read(fields));
        Assert.Equal(FulcioExtensions.Read(reference).Values, FulcioExtensions.Read(fields).Values);
    }

    [Fact]
    public void Code_signing_is_allowed_only_by_an_extended_key_usage_that_lists_it()
    {
        Assert.True(CertificateFields.TryParse(SelfSigned(), out var none, out _));
        Assert.False(none.AllowsCodeSigning());
        Assert.True(CertificateFields.TryParse(SelfSigned(r => r.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false))), out var server, out _));
        Assert.False(server.AllowsCodeSigning());
        Assert.True(CertificateFields.TryParse(SelfSigned(r => r.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], true))), out var signing, out _));
        Assert.True(signing.AllowsCodeSigning());
        Assert.True(signing.Extensions.Single(e => e.Oid == CertificateFields.ExtendedKeyUsageOid).Critical);
        Assert.True(signing.IsSelfIssued);
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        var der = BundleLeaf("happy-path-v0.3");
        Assert.False(CertificateFields.TryParse([.. der, 0], out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Every_truncation_is_rejected()
    {
        var der = BundleLeaf("happy-path-v0.3");
        for (var length = 0; length < der.Length; length += 7)
            Assert.False(CertificateFields.TryParse(der[..length], out _, out _), $"truncated to {length}");
    }

    [Fact]
    public void Different_signature_algorithms_inside_and_outside_are_rejected()
    {
        var der = BundleLeaf("happy-path-v0.3");
        // Rebuild the certificate with the outer AlgorithmIdentifier changed to ecdsa-with-SHA256.
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbs = outer.ReadEncodedValue();
        outer.ReadEncodedValue();
        var signature = outer.ReadBitString(out _);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(tbs.Span);
            using (writer.PushSequence()) writer.WriteObjectIdentifier("1.2.840.10045.4.3.2");
            writer.WriteBitString(signature);
        }
        Assert.False(CertificateFields.TryParse(writer.Encode(), out _, out var error));
        Assert.Contains("signature algorithm", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_repeated_extension_is_rejected()
    {
        // CertificateRequest refuses to repeat an extension, so the TBSCertificate is re-encoded with the first one twice
        // (the signature no longer matches; reading must fail before any signature check).
        var der = BundleLeaf("happy-path-v0.3");
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbs = outer.ReadSequence();
        var algorithm = outer.ReadEncodedValue();
        var signature = outer.ReadBitString(out _);
        var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                while (tbs.HasData)
                {
                    if (!tbs.PeekTag().HasSameClassAndValue(extensionsTag))
                    {
                        writer.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                        continue;
                    }
                    var list = tbs.ReadSequence(extensionsTag).ReadSequence();
                    var first = list.ReadEncodedValue();
                    using (writer.PushSequence(extensionsTag))
                    using (writer.PushSequence())
                    {
                        writer.WriteEncodedValue(first.Span);
                        writer.WriteEncodedValue(first.Span);
                        while (list.HasData) writer.WriteEncodedValue(list.ReadEncodedValue().Span);
                    }
                }
            }
            writer.WriteEncodedValue(algorithm.Span);
            writer.WriteBitString(signature);
        }
        Assert.False(CertificateFields.TryParse(writer.Encode(), out _, out var error));
        Assert.Contains("repeats", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validity_times_in_utc_and_generalized_form_are_read()
    {
        Assert.True(CertificateFields.TryParse(SelfSigned(), out var fields, out _));
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), fields.NotBefore); // UTCTime
        Assert.Equal(new DateTimeOffset(2050, 6, 7, 8, 9, 10, TimeSpan.Zero), fields.NotAfter); // GeneralizedTime (2050 and later)
    }
}
