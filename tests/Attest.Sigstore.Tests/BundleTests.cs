using System.Text;
using System.Text.Json.Nodes;
using Attest.Sigstore.Bundles;

namespace Attest.Sigstore.Tests;

public class BundleTests
{
    private static JsonNode Json(string @case) => JsonNode.Parse(File.ReadAllBytes(SigstoreVectors.Conformance(@case, "bundle.sigstore.json")))!;

    private static (bool Ok, Bundle? Bundle, string? Code) Parse(JsonNode json, SigstoreLimits? limits = null)
    {
        var ok = Bundle.TryParse(Encoding.UTF8.GetBytes(json.ToJsonString()), out var bundle, out var finding, limits);
        return (ok, bundle, finding?.Code);
    }

    [Theory]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=0.1", 1)]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=0.2", 2)]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=0.3", 3)]
    [InlineData("application/vnd.dev.sigstore.bundle.v0.3+json", 3)]
    public void Both_media_type_spellings_give_the_version(string mediaType, int minor)
    {
        var json = Json("happy-path-v0.3");
        json["mediaType"] = mediaType;
        var (ok, bundle, code) = Parse(json);
        Assert.True(ok, code);
        Assert.Equal(minor, bundle!.MinorVersion);
    }

    [Theory]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=99.9")]
    [InlineData("application/vnd.dev.sigstore.bundle.v0.4+json")]
    [InlineData("application/vnd.dev.sigstore.bundle+json")]
    [InlineData("application/json")]
    public void Unknown_media_types_are_rejected(string mediaType)
    {
        var json = Json("happy-path-v0.3");
        json["mediaType"] = mediaType;
        Assert.Equal(SigstoreCodes.BundleMediaType, Parse(json).Code);
    }

    [Fact]
    public void A_v03_bundle_may_not_carry_a_certificate_chain()
    {
        var json = Json("happy-path-v0.2");
        json["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.3+json";
        Assert.Equal(SigstoreCodes.BundleCertificateChain, Parse(json).Code);
    }

    [Fact]
    public void A_v01_entry_without_SET_and_a_v02_entry_without_proof_are_rejected()
    {
        var v1 = Json("happy-path-v0.1");
        v1["verificationMaterial"]!["tlogEntries"]![0]!.AsObject().Remove("inclusionPromise");
        Assert.Equal(SigstoreCodes.TlogSetMissing, Parse(v1).Code);
        var v2 = Json("happy-path-v0.2");
        v2["verificationMaterial"]!["tlogEntries"]![0]!.AsObject().Remove("inclusionProof");
        Assert.Equal(SigstoreCodes.TlogInclusionMissing, Parse(v2).Code);
    }

    [Fact]
    public void Both_or_neither_content_is_rejected()
    {
        var both = Json("happy-path-v0.3");
        both["dsseEnvelope"] = Json("happy-path-intoto-in-dsse-v3")["dsseEnvelope"]!.DeepClone();
        Assert.Equal(SigstoreCodes.BundleContent, Parse(both).Code);
        var neither = Json("happy-path-v0.3");
        neither.AsObject().Remove("messageSignature");
        Assert.Equal(SigstoreCodes.BundleContent, Parse(neither).Code);
    }

    [Fact]
    public void Unknown_members_are_rejected_like_protojson()
    {
        var json = Json("happy-path-v0.3");
        json["messageSignature"]!["extra"] = 1;
        Assert.Equal(SigstoreCodes.BundleMalformed, Parse(json).Code);
    }

    [Fact]
    public void Duplicate_members_are_rejected()
    {
        var text = Json("happy-path-v0.3").ToJsonString();
        var duplicated = "{\"mediaType\":\"x\"," + text[1..];
        Assert.False(Bundle.TryParse(Encoding.UTF8.GetBytes(duplicated), out _, out var finding));
        Assert.Equal(SigstoreCodes.BundleMalformed, finding.Code);
    }

    [Theory]
    [InlineData("\"79571823\"", true)]
    [InlineData("79571823", true)]
    [InlineData("\"-1\"", false)]
    [InlineData("\"99999999999999999999999\"", false)]
    [InlineData("1e400", false)]
    [InlineData("\"abc\"", false)]
    public void Log_index_is_an_int64_as_string_or_number(string value, bool accepted)
    {
        var text = Json("happy-path-v0.3").ToJsonString().Replace("\"logIndex\":\"79571823\"", $"\"logIndex\":{value}", StringComparison.Ordinal);
        Assert.Equal(accepted, Bundle.TryParse(Encoding.UTF8.GetBytes(text), out _, out _));
    }

    [Fact]
    public void Byte_fields_accept_url_safe_and_unpadded_base64_but_not_garbage()
    {
        var json = Json("happy-path-v0.3");
        var signature = json["messageSignature"]!["signature"]!.GetValue<string>();
        json["messageSignature"]!["signature"] = signature.TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var (ok, bundle, _) = Parse(json);
        Assert.True(ok);
        Assert.Equal(Convert.FromBase64String(signature), bundle!.MessageSignature!.Signature);
        json["messageSignature"]!["signature"] = "not base64!";
        Assert.Equal(SigstoreCodes.BundleBase64, Parse(json).Code);
    }

    [Fact]
    public void Byte_fields_with_JSON_escapes_decode_like_plain_ones_and_non_strings_are_malformed()
    {
        var text = File.ReadAllText(SigstoreVectors.Conformance("happy-path-v0.3", "bundle.sigstore.json"));
        Assert.True(Bundle.TryParse(Encoding.UTF8.GetBytes(text), out var plain, out _));
        // "\/" and "\u0041" are the same characters to JSON; the bytes must not change.
        var body = plain!.TlogEntries[0].CanonicalizedBody;
        var encoded = Convert.ToBase64String(body);
        var escaped = encoded.Replace("/", "\\/", StringComparison.Ordinal).Replace("A", "\\u0041", StringComparison.Ordinal);
        Assert.Contains(encoded, text, StringComparison.Ordinal);
        Assert.NotEqual(encoded, escaped);
        Assert.True(Bundle.TryParse(Encoding.UTF8.GetBytes(text.Replace(encoded, escaped, StringComparison.Ordinal)), out var bundle, out var finding), finding?.Message);
        Assert.Equal(body, bundle.TlogEntries[0].CanonicalizedBody);
        Assert.False(Bundle.TryParse(Encoding.UTF8.GetBytes(text.Replace($"\"{encoded}\"", "12", StringComparison.Ordinal)), out _, out finding));
        Assert.Equal(SigstoreCodes.BundleMalformed, finding.Code);
    }

    [Fact]
    public void Limits_bound_size_depth_entries_chain_and_proof()
    {
        var json = Json("happy-path-v0.3");
        Assert.Equal(SigstoreCodes.BundleTooLarge, Parse(json, new SigstoreLimits { MaxBundleBytes = 100 }).Code);
        Assert.Equal(SigstoreCodes.BundleMalformed, Parse(json, new SigstoreLimits { MaxJsonDepth = 3 }).Code);
        var entries = Json("happy-path-v0.3");
        var entry = entries["verificationMaterial"]!["tlogEntries"]![0]!;
        var list = new JsonArray();
        for (var i = 0; i < 40; i++)
        {
            var copy = entry.DeepClone();
            copy["logIndex"] = (79571823 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            list.Add(copy);
        }
        entries["verificationMaterial"]!["tlogEntries"] = list;
        Assert.Equal(SigstoreCodes.BundleLimit, Parse(entries).Code);

        var chain = Json("happy-path-v0.1");
        var certificates = chain["verificationMaterial"]!["x509CertificateChain"]!["certificates"]!.AsArray();
        var leaf = certificates[0]!;
        for (var i = 0; i < 100; i++) certificates.Add(leaf.DeepClone());
        Assert.Equal(SigstoreCodes.BundleCertificateChain, Parse(chain).Code);
    }

    [Fact]
    public void Repeated_log_entries_are_rejected()
    {
        var json = Json("happy-path-v0.3");
        var entries = json["verificationMaterial"]!["tlogEntries"]!.AsArray();
        entries.Add(entries[0]!.DeepClone());
        Assert.Equal(SigstoreCodes.BundleTlogEntry, Parse(json).Code);
    }

    [Fact]
    public void Ten_megabytes_of_input_are_rejected_quickly()
    {
        var big = new byte[10 << 20];
        Array.Fill(big, (byte)' ');
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(Bundle.TryParse(big, out _, out var finding));
        Assert.Equal(SigstoreCodes.BundleTooLarge, finding.Code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void A_certificate_with_trailing_bytes_is_rejected()
    {
        var json = Json("happy-path-v0.3");
        var der = Convert.FromBase64String(json["verificationMaterial"]!["certificate"]!["rawBytes"]!.GetValue<string>());
        json["verificationMaterial"]!["certificate"]!["rawBytes"] = Convert.ToBase64String([.. der, 0x00]);
        Assert.False(Parse(json).Ok);
    }
}
