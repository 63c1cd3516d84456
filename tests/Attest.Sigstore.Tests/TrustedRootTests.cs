using System.Text;
using System.Text.Json.Nodes;
using Attest.Core.Crypto;
using Attest.Sigstore.TrustRoot;

namespace Attest.Sigstore.Tests;

public class TrustedRootTests
{
    [Fact]
    public void Embedded_public_good_root_has_the_production_logs_CAs_and_TSA()
    {
        var root = TrustedRoot.PublicGood;
        var rekor = root.FindTransparencyLog(Convert.FromBase64String("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="));
        Assert.NotNull(rekor);
        Assert.Equal("rekor.sigstore.dev", rekor.Origin);
        Assert.Equal(KeyAlgorithm.EcdsaP256, rekor.Key!.Algorithm);
        var rekorV2 = root.FindTransparencyLog(Convert.FromBase64String(Base64Of(root, "log2025-1.rekor.sigstore.dev")));
        Assert.NotNull(rekorV2);
        Assert.Equal(KeyAlgorithm.Ed25519, rekorV2.Key!.Algorithm);
        Assert.Equal(2, root.CertificateAuthorities.Count);
        Assert.Equal(2, root.CertificateTransparencyLogs.Count);
        Assert.Single(root.TimestampAuthorities);
    }

    private static string Base64Of(TrustedRoot root, string origin) => Convert.ToBase64String(root.TransparencyLogs.Single(t => t.Origin == origin).LogId);

    [Fact]
    public void Rekor_v1_and_CT_log_ids_are_the_SHA256_of_the_key()
    {
        foreach (var log in TrustedRoot.PublicGood.TransparencyLogs.Concat(TrustedRoot.PublicGood.CertificateTransparencyLogs).Where(l => l.Key!.Algorithm != KeyAlgorithm.Ed25519))
            Assert.Equal(log.LogId, log.Key!.Sha256Fingerprint());
    }

    [Theory]
    [InlineData("log2025-1.rekor.sigstore.dev", "zxGZFVvd")]
    public void Rekor_v2_Ed25519_log_id_is_the_signed_note_key_hash(string origin, string prefix)
    {
        var log = TrustedRoot.PublicGood.TransparencyLogs.Single(t => t.Origin == origin);
        var raw = log.Key!.SubjectPublicKeyInfo[^32..];
        var id = TrustedRoot.SignedNoteEd25519KeyId(origin, raw);
        Assert.Equal(log.LogId, id);
        Assert.StartsWith(prefix, Convert.ToBase64String(id), StringComparison.Ordinal);
        Assert.Equal(id[..4], log.CheckpointKeyHint);
    }

    [Fact]
    public void Staging_alpha_Rekor_v2_log_id_is_the_signed_note_key_hash()
    {
        var root = TrustedRoot.Parse(File.ReadAllBytes(SigstoreVectors.Conformance("rekor2-happy-path", "trusted_root.json")));
        var log = root.TransparencyLogs.Single(t => t.Origin == "log2025-alpha1.rekor.sigstage.dev");
        Assert.Equal(log.LogId, TrustedRoot.SignedNoteEd25519KeyId(log.Origin, log.Key!.SubjectPublicKeyInfo[^32..]));
        Assert.StartsWith("8w1amZ2S", Convert.ToBase64String(log.LogId), StringComparison.Ordinal);
    }

    [Fact]
    public void Validity_ranges_are_closed_intervals()
    {
        var start = DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var end = start.AddDays(1);
        var range = new TimeRange(start, end);
        Assert.True(range.Contains(start));
        Assert.True(range.Contains(end));
        Assert.False(range.Contains(start.AddTicks(-1)));
        Assert.False(range.Contains(end.AddTicks(1)));
        Assert.True(new TimeRange(start, null).Contains(DateTimeOffset.MaxValue));
    }

    private static JsonNode PublicGoodJson() =>
        JsonNode.Parse(File.ReadAllBytes(SigstoreVectors.Root("trusted-roots", "public-good-from-npm-sigstore-tuf-5.0.1.json")))!;

    [Fact]
    public void A_tlog_without_validFor_start_is_rejected()
    {
        var json = PublicGoodJson();
        json["tlogs"]![0]!["publicKey"]!["validFor"]!.AsObject().Remove("start");
        Assert.False(TrustedRoot.TryParse(Encoding.UTF8.GetBytes(json.ToJsonString()), out _, out var finding));
        Assert.Equal(SigstoreCodes.TrustRootValidity, finding.Code);
    }

    [Fact]
    public void A_validity_that_ends_before_it_starts_is_rejected()
    {
        var json = PublicGoodJson();
        json["tlogs"]![0]!["publicKey"]!["validFor"]!["end"] = "2000-01-01T00:00:00Z";
        Assert.False(TrustedRoot.TryParse(Encoding.UTF8.GetBytes(json.ToJsonString()), out _, out var finding));
        Assert.Equal(SigstoreCodes.TrustRootValidity, finding.Code);
    }

    [Theory]
    [InlineData("application/vnd.dev.sigstore.trustedroot+json;version=0.1", true)]
    [InlineData("application/vnd.dev.sigstore.trustedroot.v0.2+json", true)]
    [InlineData("application/vnd.dev.sigstore.trustedroot+json;version=0.9", false)]
    [InlineData("application/json", false)]
    public void Media_types_of_both_spellings_are_accepted(string mediaType, bool accepted)
    {
        var json = PublicGoodJson();
        json["mediaType"] = mediaType;
        Assert.Equal(accepted, TrustedRoot.TryParse(Encoding.UTF8.GetBytes(json.ToJsonString()), out _, out var finding));
        if (!accepted) Assert.Equal(SigstoreCodes.TrustRootMediaType, finding!.Code);
    }

    [Fact]
    public void An_oversized_or_malformed_root_is_rejected_with_a_reason()
    {
        Assert.False(TrustedRoot.TryParse(new byte[SigstoreLimits.Default.MaxTrustedRootBytes + 1], out _, out var tooBig));
        Assert.Equal(SigstoreCodes.TrustRootMalformed, tooBig.Code);
        Assert.False(TrustedRoot.TryParse("{\"mediaType\":"u8, out _, out var malformed));
        Assert.Equal(SigstoreCodes.TrustRootMalformed, malformed.Code);
    }

    [Fact]
    public void A_PKCS1_RSA_CT_log_key_is_read()
    {
        var root = TrustedRoot.Parse(File.ReadAllBytes(SigstoreVectors.Conformance("rekor2-happy-path", "trusted_root.json")));
        var rsa = root.CertificateTransparencyLogs.Single(l => l.KeyDetails == "PKCS1_RSA_PKCS1V5");
        Assert.Equal(KeyAlgorithm.Rsa, rsa.Key!.Algorithm);
    }
}
