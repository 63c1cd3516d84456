using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Attest.Core.X509;
using Attest.Testing;

namespace Attest.Core.Tests.X509;

public class FulcioCertificateTests
{
    private static X509Certificate2 BundleCertificate(params string[] path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(RepositoryPaths.Vectors(["sigstore", .. path])));
        var material = document.RootElement.GetProperty("verificationMaterial");
        var raw = material.TryGetProperty("certificate", out var single)
            ? single.GetProperty("rawBytes").GetString()!
            : material.GetProperty("x509CertificateChain").GetProperty("certificates")[0].GetProperty("rawBytes").GetString()!;
        return X509CertificateLoader.LoadCertificate(Convert.FromBase64String(raw));
    }

    [Fact]
    public void Reads_the_URI_SAN_and_GitHub_extensions_of_a_Fulcio_leaf()
    {
        var leaf = BundleCertificate("conformance", "happy-path-v0.3", "bundle.sigstore.json");
        var san = Assert.Single(SubjectAlternativeName.Read(leaf));
        Assert.Equal(SubjectAlternativeNameKind.Uri, san.Kind);
        Assert.Equal("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", san.Value);

        var extensions = FulcioExtensions.Read(leaf);
        Assert.Equal("https://token.actions.githubusercontent.com", extensions.Issuer);
        Assert.Equal("https://token.actions.githubusercontent.com", extensions.Get(1)); // raw UTF-8 (deprecated)
        Assert.Equal("https://token.actions.githubusercontent.com", extensions.Get(8)); // DER UTF8String
        Assert.Equal("workflow_dispatch", extensions.Get(2));
        Assert.Equal("refs/heads/main", extensions.Get(6));
        Assert.Equal("github-hosted", extensions.Get(11));
        Assert.Equal("https://github.com/sigstore-conformance", extensions.Get(16));
        Assert.Equal("public", extensions.Get(22));
        Assert.Equal("RunnerEnvironment", FulcioExtensions.NameOf(11));
    }

    [Fact]
    public void Reads_the_Sigstore_OtherName_username_SAN()
    {
        var leaf = BundleCertificate("sigstore-go", "othername.sigstore.json");
        var san = Assert.Single(SubjectAlternativeName.Read(leaf));
        Assert.Equal(SubjectAlternativeNameKind.SigstoreUsername, san.Kind);
        Assert.Equal("foo!oidc.local", san.Value);
        Assert.Equal("http://oidc.local:8080", FulcioExtensions.Read(leaf).Issuer);
    }

    [Fact]
    public void Reads_an_email_SAN()
    {
        var leaf = BundleCertificate("sigstore-go", "dsse.sigstore.json");
        var san = Assert.Single(SubjectAlternativeName.Read(leaf));
        Assert.Equal(SubjectAlternativeNameKind.Email, san.Kind);
        Assert.Equal("brian@dehamer.com", san.Value);
        Assert.Equal("https://github.com/login/oauth", FulcioExtensions.Read(leaf).Issuer);
    }

    [Fact]
    public void Arcs_1_to_6_are_raw_UTF8_and_arcs_8_and_up_must_be_DER_UTF8String()
    {
        Assert.Equal("abc", FulcioExtensions.Decode(2, "abc"u8));
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.UTF8String, "abc");
        var der = writer.Encode();
        Assert.Equal("abc", FulcioExtensions.Decode(8, der));
        Assert.Throws<CryptographicException>(() => FulcioExtensions.Decode(8, "abc"u8));
        Assert.Throws<CryptographicException>(() => FulcioExtensions.Decode(9, [.. der, 0x00]));
        Assert.Throws<CryptographicException>(() => FulcioExtensions.Decode(3, [0xff, 0xfe]));
    }

    [Fact]
    public void Malformed_SAN_extensions_throw_a_cryptographic_exception()
    {
        Assert.Throws<CryptographicException>(() => SubjectAlternativeName.Parse(new byte[] { 0x30, 0x05, 0x86, 0x01 }));
        Assert.Throws<CryptographicException>(() => SubjectAlternativeName.Parse(new byte[] { 0x30, 0x00, 0x00 }));
        var tooMany = new AsnWriter(AsnEncodingRules.DER);
        using (tooMany.PushSequence())
            for (var i = 0; i <= SubjectAlternativeName.MaxNames; i++)
                tooMany.WriteCharacterString(UniversalTagNumber.IA5String, "a@b", new Asn1Tag(TagClass.ContextSpecific, 1));
        Assert.Throws<CryptographicException>(() => SubjectAlternativeName.Parse(tooMany.Encode()));
        Assert.Equal("a@b", SubjectAlternativeName.Parse(new byte[] { 0x30, 0x05, 0x81, 0x03, (byte)'a', (byte)'@', (byte)'b' })[0].Value);
    }
}
