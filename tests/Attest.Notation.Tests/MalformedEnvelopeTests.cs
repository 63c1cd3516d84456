using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Attest.Notation.Envelopes;
using Attest.Notation.Signing;

namespace Attest.Notation.Tests;

/// <summary>Hostile envelopes: each is refused by the reader with a reason that names the fault, in bounded time.</summary>
public sealed class MalformedEnvelopeTests
{
    private static readonly ECDsa Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly X509Certificate2 Certificate =
        new CertificateRequest("CN=t", Key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

    private static NotationSignRequest Request => new()
    {
        Payload = "{}"u8.ToArray(), CertificateChain = [Certificate], Key = Key, SigningTime = DateTimeOffset.UtcNow, Expiry = DateTimeOffset.UtcNow.AddDays(1),
    };

    // ---- JWS ------------------------------------------------------------------------------------------------------

    private static string RejectJws(string json)
    {
        Assert.False(JwsEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out _, out var failure));
        return failure.Code + ": " + failure.Message;
    }

    /// <summary>A valid envelope whose protected header is replaced (re-signed, so only the header is at fault).</summary>
    private static string WithProtected(Action<JsonObject> edit)
    {
        var envelope = JsonNode.Parse(NotationSigner.SignJws(Request))!;
        var header = JsonNode.Parse(Convert.FromBase64String(Pad(envelope["protected"]!.GetValue<string>())))!.AsObject();
        edit(header);
        envelope["protected"] = JwsEnvelope.ToBase64Url(Encoding.UTF8.GetBytes(header.ToJsonString()));
        return envelope.ToJsonString();
    }

    private static string WithProtectedText(string headerJson)
    {
        var envelope = JsonNode.Parse(NotationSigner.SignJws(Request))!;
        envelope["protected"] = JwsEnvelope.ToBase64Url(Encoding.UTF8.GetBytes(headerJson));
        return envelope.ToJsonString();
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"payload\":\"e30\",\"protected\":\"e30\",\"header\":{},\"signature\":\"AA\",\"extra\":1}", "unexpected member 'extra'")]
    [InlineData("{\"payload\":\"e30\",\"signatures\":[]}", "general serialization")]
    [InlineData("{\"payload\":\"e30=\",\"protected\":\"e30\",\"header\":{},\"signature\":\"AA\"}", "'payload'")]
    [InlineData("{\"payload\":\"e30\",\"protected\":\"e30\",\"header\":{},\"signature\":\"AA\"}", "'x5c'")]
    [InlineData("{\"payload\":\"e30\",\"payload\":\"e30\",\"protected\":\"e30\",\"header\":{},\"signature\":\"AA\"}", "not JSON")]
    public void Jws_with_a_broken_structure_is_refused(string json, string reason)
    {
        var message = RejectJws(json);
        Assert.StartsWith(NotationCodes.EnvelopeMalformed, message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Jws_protected_header_checks_name_the_fault()
    {
        Assert.Contains("'alg' 'none'", RejectJws(WithProtected(h => h["alg"] = "none")), StringComparison.Ordinal);
        Assert.Contains("'alg' 'HS256'", RejectJws(WithProtected(h => h["alg"] = "HS256")), StringComparison.Ordinal);
        Assert.Contains("'crit' header is missing", RejectJws(WithProtected(h => h.Remove("crit"))), StringComparison.Ordinal);
        Assert.Contains("not marked critical: io.cncf.notary.signingScheme", RejectJws(WithProtected(h => h["crit"] = new JsonArray("io.cncf.notary.expiry"))), StringComparison.Ordinal);
        Assert.Contains("not marked critical: io.cncf.notary.expiry", RejectJws(WithProtected(h => h["crit"] = new JsonArray("io.cncf.notary.signingScheme"))), StringComparison.Ordinal);
        Assert.Contains("'com.example.x' is marked critical but not present",
            RejectJws(WithProtected(h => h["crit"] = new JsonArray("io.cncf.notary.signingScheme", "io.cncf.notary.expiry", "com.example.x"))), StringComparison.Ordinal);
        Assert.Contains("registered header 'alg'",
            RejectJws(WithProtected(h => h["crit"] = new JsonArray("io.cncf.notary.signingScheme", "io.cncf.notary.expiry", "alg"))), StringComparison.Ordinal);
        Assert.Contains("signing scheme 'notary.other'", RejectJws(WithProtected(h => h["io.cncf.notary.signingScheme"] = "notary.other")), StringComparison.Ordinal);
        Assert.Contains("not an RFC 3339", RejectJws(WithProtected(h => h["io.cncf.notary.signingTime"] = "yesterday")), StringComparison.Ordinal);
        Assert.Contains("must not be present under notary.x509",
            RejectJws(WithProtected(h => h["io.cncf.notary.authenticSigningTime"] = "2024-01-01T00:00:00Z")), StringComparison.Ordinal);
        Assert.Contains("must not be present under notary.x509.signingAuthority",
            RejectJws(WithProtected(h => h["io.cncf.notary.signingScheme"] = "notary.x509.signingAuthority")), StringComparison.Ordinal);
        Assert.Contains("is required under notary.x509.signingAuthority", RejectJws(WithProtected(h =>
        {
            h["io.cncf.notary.signingScheme"] = "notary.x509.signingAuthority";
            h.Remove("io.cncf.notary.signingTime");
        })), StringComparison.Ordinal);
        Assert.Contains("not JSON", RejectJws(WithProtectedText("{\"alg\":\"ES256\",\"alg\":\"ES256\"}")), StringComparison.Ordinal);
    }

    [Fact]
    public void Jws_with_deeply_nested_extended_attribute_is_refused()
    {
        var deep = new string('[', 200) + new string(']', 200);
        var message = RejectJws(WithProtectedText($"{{\"alg\":\"ES256\",\"x\":{deep}}}"));
        Assert.Contains("not JSON", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_envelopes_are_refused_before_parsing()
    {
        var big = new byte[NotationLimits.MaxEnvelopeBytes + 1];
        Assert.False(JwsEnvelope.TryParse(big, out _, out var jws));
        Assert.Contains("more than", jws.Message, StringComparison.Ordinal);
        Assert.False(CoseEnvelope.TryParse(big, out _, out var cose));
        Assert.Contains("more than", cose.Message, StringComparison.Ordinal);
    }

    // ---- COSE -----------------------------------------------------------------------------------------------------

    private static string RejectCose(byte[] bytes)
    {
        Assert.False(CoseEnvelope.TryParse(bytes, out _, out var failure));
        return failure.Code + ": " + failure.Message;
    }

    /// <summary>A COSE_Sign1_Tagged with the given protected map bytes and unprotected map (as encoded values).</summary>
    private static byte[] Cose(byte[] protectedBytes, byte[]? unprotected = null, bool tagged = true, int arity = 4)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        if (tagged) writer.WriteTag((CborTag)18);
        writer.WriteStartArray(arity);
        writer.WriteByteString(protectedBytes);
        if (arity > 1) writer.WriteEncodedValue(unprotected ?? Chain());
        if (arity > 2) writer.WriteByteString("{}"u8);
        if (arity > 3) writer.WriteByteString([1, 2, 3]);
        writer.WriteEndArray();
        return writer.Encode();
    }

    private static byte[] Chain()
    {
        var writer = new CborWriter();
        writer.WriteStartMap(1);
        writer.WriteInt32(33);
        writer.WriteByteString(Certificate.RawData);
        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>A valid protected map (alg, crit, content type, scheme, signing time), then <paramref name="extra"/>
    /// written as <paramref name="extraEntries"/> more entries.</summary>
    private static byte[] Protected(Action<CborWriter>? extra = null, int extraEntries = 0, bool crit = true, long alg = -7, bool timeTag = true)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap((crit ? 5 : 4) + extraEntries);
        writer.WriteInt32(1);
        writer.WriteInt64(alg);
        if (crit)
        {
            writer.WriteInt32(2);
            writer.WriteStartArray(1);
            writer.WriteTextString("io.cncf.notary.signingScheme");
            writer.WriteEndArray();
        }
        writer.WriteInt32(3);
        writer.WriteTextString(NotationMediaTypes.Payload);
        writer.WriteTextString("io.cncf.notary.signingScheme");
        writer.WriteTextString("notary.x509");
        writer.WriteTextString("io.cncf.notary.signingTime");
        if (timeTag) writer.WriteTag(CborTag.UnixTimeSeconds);
        writer.WriteInt64(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        extra?.Invoke(writer);
        writer.WriteEndMap();
        return writer.Encode();
    }

    [Fact]
    public void Cose_with_a_broken_structure_is_refused()
    {
        Assert.Contains("tag 18", RejectCose(Cose(Protected(), tagged: false)), StringComparison.Ordinal);
        Assert.Contains("tag 18", RejectCose(Cose(Protected(), arity: 3)), StringComparison.Ordinal);
        Assert.Contains("not valid CBOR", RejectCose([0xD2, 0x84, 0x41]), StringComparison.Ordinal);
        Assert.Contains("bytes follow", RejectCose([.. Cose(Protected()), 0x00]), StringComparison.Ordinal);
        Assert.Contains("x5chain", RejectCose(Cose(Protected(), [0xA0])), StringComparison.Ordinal);
    }

    [Fact]
    public void Cose_indefinite_length_items_are_refused()
    {
        // An indefinite-length array as the message, and an indefinite-length map as the unprotected header.
        Assert.Contains("indefinite-length arrays", RejectCose([0xD2, 0x9F, 0xFF]), StringComparison.Ordinal);
        Assert.Contains("indefinite-length maps", RejectCose(Cose(Protected(), [0xBF, 0xFF])), StringComparison.Ordinal);
        // An indefinite-length byte string (two chunks) in place of the protected header.
        var message = new byte[] { 0xD2, 0x84, 0x5F, 0x41, 0xA0, 0xFF, 0xA0, 0x40, 0x41, 0x01 };
        Assert.Contains("indefinite-length strings", RejectCose(message), StringComparison.Ordinal);
    }

    [Fact]
    public void Cose_deep_nesting_in_a_header_is_refused()
    {
        var deep = Enumerable.Repeat((byte)0x81, 40).Append((byte)0x00).ToArray(); // [[[…[0]…]]], 40 levels
        var message = RejectCose(Cose(Protected(w => { w.WriteTextString("com.example.deep"); w.WriteEncodedValue(deep); }, 1)));
        Assert.Contains("deeper than", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cose_protected_header_checks_name_the_fault()
    {
        Assert.Contains("'alg' -8", RejectCose(Cose(Protected(alg: -8))), StringComparison.Ordinal);
        Assert.Contains("'crit' header is missing", RejectCose(Cose(Protected(crit: false))), StringComparison.Ordinal);
        Assert.Contains("tag-1 epoch date/time", RejectCose(Cose(Protected(timeTag: false))), StringComparison.Ordinal);
        Assert.Contains("common parameter", RejectCose(Cose(ReplaceCrit(Protected()))), StringComparison.Ordinal);
        // A duplicate key in the protected map (the reader's strict mode refuses it).
        Assert.Contains("not valid CBOR", RejectCose(Cose(Protected(w => { w.WriteInt32(3); w.WriteTextString("text/plain"); }, 1))), StringComparison.Ordinal);
    }

    /// <summary>Rewrites the crit array [signingScheme] into [1] (a common label) in encoded bytes.</summary>
    private static byte[] ReplaceCrit(byte[] protectedBytes)
    {
        var needle = new CborWriter();
        needle.WriteStartArray(1);
        needle.WriteTextString("io.cncf.notary.signingScheme");
        needle.WriteEndArray();
        var from = needle.Encode();
        var index = protectedBytes.AsSpan().IndexOf(from);
        Assert.True(index >= 0);
        return [.. protectedBytes[..index], 0x81, 0x01, .. protectedBytes[(index + from.Length)..]];
    }

    private static string Pad(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text + new string('=', (4 - text.Length % 4) % 4);
    }
}
