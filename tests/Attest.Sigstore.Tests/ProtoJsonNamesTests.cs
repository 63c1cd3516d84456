using System.Text;
using System.Text.Json.Nodes;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Sigstore.Tests;

/// <summary>Protobuf JSON accepts proto field names (snake_case) as well as JSON names (lowerCamelCase).</summary>
public class ProtoJsonNamesTests
{
    private static readonly string[] CamelCaseBundleNames = ["mediaType", "verificationMaterial", "tlogEntries", "logIndex", "inclusionProof", "canonicalizedBody"];

    /// <summary>Renames members: <paramref name="rename"/> decides per JSON name whether to use the proto name.</summary>
    private static JsonNode? Rename(JsonNode? node, Func<string, bool> rename)
    {
        switch (node)
        {
            case JsonObject o:
                var result = new JsonObject();
                foreach (var (key, value) in o)
                    result[rename(key) ? ProtoName(key) : key] = Rename(value, rename);
                return result;
            case JsonArray a:
                return new JsonArray(a.Select(v => Rename(v, rename)).ToArray());
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>lowerCamelCase → snake_case, digits stay with the word before them (x509CertificateChain → x509_certificate_chain).</summary>
    private static string ProtoName(string jsonName)
    {
        var builder = new StringBuilder();
        foreach (var c in jsonName)
        {
            if (char.IsAsciiLetterUpper(c)) builder.Append('_').Append(char.ToLowerInvariant(c));
            else builder.Append(c);
        }
        return builder.ToString();
    }

    private static VerificationResult VerifyRenamed(string name, Func<string, bool> rename, out string json)
    {
        var @case = SigstoreVectors.Case(name);
        json = Rename(JsonNode.Parse(@case.BundleBytes), rename)!.ToJsonString();
        var root = @case.LoadTrustedRoot(out _)!;
        return new BundleVerifier(root).Verify(Encoding.UTF8.GetBytes(json), Artifact.FromBytes(@case.ArtifactBytes), @case.Policy()!);
    }

    [Theory]
    [InlineData("happy-path-v0.1")]
    [InlineData("happy-path-v0.2")]
    [InlineData("happy-path-v0.3")]
    [InlineData("happy-path-intoto-in-dsse-v3")]
    [InlineData("rekor2-dsse-happy-path")]
    public void Bundles_with_every_member_under_its_proto_name_verify(string name)
    {
        var result = VerifyRenamed(name, _ => true, out var json);
        foreach (var camel in CamelCaseBundleNames)
            Assert.DoesNotContain($"\"{camel}\"", json, StringComparison.Ordinal);
        Assert.Contains("\"verification_material\"", json, StringComparison.Ordinal);
        Assert.True(result.Verified, result.Failure?.ToString());
    }

    [Fact]
    public void Both_spellings_may_be_mixed_in_one_bundle()
    {
        var result = VerifyRenamed("happy-path-v0.2", n => n is "mediaType" or "tlogEntries" or "logIndex" or "canonicalizedBody" or "rawBytes", out var json);
        Assert.Contains("\"media_type\"", json, StringComparison.Ordinal);
        Assert.Contains("\"verificationMaterial\"", json, StringComparison.Ordinal);
        Assert.True(result.Verified, result.Failure?.ToString());
    }

    [Fact]
    public void A_snake_case_bundle_whose_signature_is_tampered_is_still_rejected()
    {
        var @case = SigstoreVectors.Case("happy-path-v0.3");
        var node = Rename(JsonNode.Parse(@case.BundleBytes), _ => true)!;
        var signature = Convert.FromBase64String(node["message_signature"]!["signature"]!.GetValue<string>());
        signature[^1] ^= 1;
        node["message_signature"]!["signature"] = Convert.ToBase64String(signature);
        var result = new BundleVerifier(TrustedRoot.PublicGood).Verify(Encoding.UTF8.GetBytes(node.ToJsonString()), Artifact.FromBytes(@case.ArtifactBytes), @case.Policy()!);
        Assert.False(result.Verified);
    }

    [Fact]
    public void A_field_given_under_both_names_is_rejected()
    {
        var node = JsonNode.Parse(SigstoreVectors.Case("happy-path-v0.3").BundleBytes)!.AsObject();
        node["media_type"] = node["mediaType"]!.GetValue<string>();
        Assert.False(Bundle.TryParse(Encoding.UTF8.GetBytes(node.ToJsonString()), out _, out var finding));
        Assert.Equal(SigstoreCodes.BundleMalformed, finding.Code);
    }

    [Theory]
    [InlineData("Media_Type")]
    [InlineData("media__type")]
    [InlineData("media_type_")]
    [InlineData("mediatype")]
    public void Names_that_are_neither_proto_nor_json_names_are_rejected(string spelling)
    {
        var node = JsonNode.Parse(SigstoreVectors.Case("happy-path-v0.3").BundleBytes)!.AsObject();
        var mediaType = node["mediaType"]!.GetValue<string>();
        node.Remove("mediaType");
        node[spelling] = mediaType;
        Assert.False(Bundle.TryParse(Encoding.UTF8.GetBytes(node.ToJsonString()), out _, out var finding));
        Assert.Equal(SigstoreCodes.BundleMalformed, finding.Code);
    }

    [Fact]
    public void Url_safe_base64_values_with_underscores_are_left_alone()
    {
        // An '_' only inside values makes the rewrite run but change nothing.
        Assert.Null(ProtoJsonNames.ToJsonNames("{\"mediaType\":\"a_b\",\"x\":[1,\"c_d\",{\"eE\":-2.5e3}]}"u8, 32));
        Assert.Equal("{\"mediaType\":\"a\\u005fb\",\"n\":\"12\"}", Encoding.UTF8.GetString(ProtoJsonNames.ToJsonNames("{\"media_type\":\"a\\u005fb\",\"n\":\"12\"}"u8, 32)!));
    }

    [Theory]
    [InlineData("{\"a\":\"SHA2_256\",\"b\":\"x_y\" }", false)]
    [InlineData("{\"media_type\":1}", true)]
    [InlineData("{\"media_type\" \n : 1}", true)]
    [InlineData("{\"a\":\"x_y\",\"tlog_entries\":[]}", true)]
    [InlineData("{\"media\\u005ftype\":1}", true)]
    public void The_fast_check_finds_every_member_name_with_an_underscore(string json, bool expected) =>
        Assert.Equal(expected, ProtoJsonNames.MayHaveProtoNames(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void An_escaped_underscore_in_a_member_name_counts_as_one()
    {
        var node = JsonNode.Parse(SigstoreVectors.Case("happy-path-v0.3").BundleBytes)!.AsObject();
        var mediaType = node["mediaType"]!.GetValue<string>();
        node.Remove("mediaType");
        var json = node.ToJsonString().Insert(1, $"\"media\\u005ftype\":\"{mediaType}\",");
        Assert.True(Bundle.TryParse(Encoding.UTF8.GetBytes(json), out var bundle, out var finding), finding?.ToString());
        Assert.Equal(3, bundle.MinorVersion);
    }

    [Theory]
    [InlineData("x509_certificate_chain", "x509CertificateChain")]
    [InlineData("rfc3161_timestamps", "rfc3161Timestamps")]
    [InlineData("signed_entry_timestamp", "signedEntryTimestamp")]
    [InlineData("log_id", "logId")]
    [InlineData("payload_type", "payloadType")]
    [InlineData("mediaType", "mediaType")]
    [InlineData("Media_Type", "Media_Type")]
    [InlineData("_x", "_x")]
    public void Proto_names_map_to_json_names(string name, string expected) => Assert.Equal(expected, ProtoJsonNames.JsonName(name));

    [Fact]
    public void A_trusted_root_under_proto_names_reads_the_same()
    {
        var path = SigstoreVectors.Root("trusted-roots", "public-good-from-npm-sigstore-tuf-5.0.1.json");
        var original = TrustedRoot.Parse(File.ReadAllBytes(path));
        var renamed = Rename(JsonNode.Parse(File.ReadAllBytes(path)), _ => true)!.ToJsonString();
        Assert.Contains("\"certificate_authorities\"", renamed, StringComparison.Ordinal);
        var root = TrustedRoot.Parse(Encoding.UTF8.GetBytes(renamed));
        Assert.Equal(original.TransparencyLogs.Select(l => Convert.ToHexString(l.LogId)), root.TransparencyLogs.Select(l => Convert.ToHexString(l.LogId)));
        Assert.Equal(original.CertificateAuthorities.Count, root.CertificateAuthorities.Count);
        Assert.Equal(original.CertificateTransparencyLogs.Count, root.CertificateTransparencyLogs.Count);
        Assert.Equal(original.TimestampAuthorities.Count, root.TimestampAuthorities.Count);
    }
}
