using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Core.Crypto;
using Attest.Sigstore.Signing;
using Attest.Sigstore.TrustRoot;

namespace Attest.Sigstore.Tests.Signing;

public sealed class TrustedRootBuilderTests
{
    private static readonly DateTimeOffset From = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("https://log2025-1.rekor.attest.test", "log2025-1.rekor.attest.test")]
    [InlineData("https://attest.local/ledger", "attest.local/ledger")] // Attest's default: the ledger origin under https://
    [InlineData("http://127.0.0.1:8443/ledger", "127.0.0.1:8443/ledger")]
    public void A_logs_origin_is_its_base_url_without_the_scheme_as_rekor_v2_checkpoints_name_it(string baseUrl, string origin)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var root = new TrustedRootBuilder().AddTransparencyLog(baseUrl, key.ExportSubjectPublicKeyInfo(), From).Build();
        Assert.Equal(origin, Assert.Single(root.TransparencyLogs).Origin);
    }

    [Fact]
    public void Logs_are_listed_with_key_log_id_and_validity()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        var edSpki = BundleSigner.ForEd25519(Ed25519.GenerateSeed()).SubjectPublicKeyInfo;

        var root = TrustedRoot.Parse(new TrustedRootBuilder()
            .AddTransparencyLog("https://rekor.attest.test", spki, From, From.AddYears(1))
            .AddCertificateTransparencyLog("https://ctfe.attest.test", edSpki, From)
            .ToJson());

        var log = Assert.Single(root.TransparencyLogs);
        Assert.Equal("https://rekor.attest.test", log.BaseUrl);
        Assert.Equal(SHA256.HashData(spki), log.LogId);
        Assert.Equal(SHA256.HashData(spki)[..4], log.CheckpointKeyHint);
        Assert.Equal(KeyAlgorithm.EcdsaP256, log.Key!.Algorithm);
        Assert.Equal("PKIX_ECDSA_P256_SHA_256", log.KeyDetails);
        Assert.Equal(new TimeRange(From, From.AddYears(1)), log.ValidFor);
        var ct = Assert.Single(root.CertificateTransparencyLogs);
        Assert.Equal(KeyAlgorithm.Ed25519, ct.Key!.Algorithm);
        Assert.Null(ct.ValidFor.End);
        Assert.Same(log, root.FindTransparencyLog(SHA256.HashData(spki)));
    }

    [Fact]
    public void Authorities_keep_their_chain_order_and_validity()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = new CertificateRequest("CN=ca, O=attest.test", key, HashAlgorithmName.SHA256).CreateSelfSigned(From, From.AddYears(1));
        using var tsa = new CertificateRequest("CN=tsa", key, HashAlgorithmName.SHA256).CreateSelfSigned(From, From.AddYears(1));

        var root = new TrustedRootBuilder()
            .AddCertificateAuthority("https://fulcio.attest.test", [ca], From)
            .AddTimestampAuthority("https://tsa.attest.test", [tsa, ca], From, From.AddDays(1))
            .Build();

        var authority = Assert.Single(root.CertificateAuthorities);
        Assert.Equal("https://fulcio.attest.test", authority.Uri);
        Assert.Equal(ca.RawData, authority.Anchor.RawData);
        var timestamping = Assert.Single(root.TimestampAuthorities);
        Assert.Equal([tsa.RawData, ca.RawData], timestamping.Certificates.Select(c => c.RawData));
        Assert.Equal(new TimeRange(From, From.AddDays(1)), timestamping.ValidFor);
    }

    [Fact]
    public void Empty_root_has_the_v01_media_type_and_parses()
    {
        var json = new TrustedRootBuilder().ToJson();

        Assert.True(TrustedRoot.TryParse(json, out var root, out var finding), finding?.ToString());
        Assert.Empty(root.TransparencyLogs);
        Assert.Contains(TrustedRoot.MediaTypeV01, System.Text.Encoding.UTF8.GetString(json), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_input_is_refused()
    {
        var builder = new TrustedRootBuilder();
        Assert.Throws<ArgumentException>(() => builder.AddTransparencyLog("https://rekor.attest.test", [1, 2, 3], From));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Throws<ArgumentException>(() => builder.AddTransparencyLog("https://rekor.attest.test", key.ExportSubjectPublicKeyInfo(), From, From.AddDays(-1)));
        Assert.Throws<ArgumentException>(() => builder.AddCertificateAuthority("https://fulcio.attest.test", [], From));
    }
}
