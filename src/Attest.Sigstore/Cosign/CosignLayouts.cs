using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Attest.Core;

namespace Attest.Sigstore.Cosign;

/// <summary>
/// The pieces of cosign's registry layouts that Attest derives from its own bundles: the simple-signing payload of a
/// legacy <c>.sig</c> layer, the Rekor-style <c>dev.sigstore.cosign/bundle</c> annotation (the bundle's log entry and
/// SET), the base64 signature annotation, and the DSSE envelope of a legacy <c>.att</c> layer.
/// </summary>
public static class CosignLayouts
{
    /// <summary>Annotation of a legacy <c>.att</c> layer naming its predicate type.</summary>
    public const string PredicateTypeAnnotation = "predicateType";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>cosign's simple-signing payload: <c>{"critical":{"identity":{"docker-reference":…},"image":{"docker-manifest-digest":…},"type":…},"optional":null}</c>.</summary>
    public static byte[] SimpleSigningPayload(string dockerReference, Digest imageDigest)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteStartObject("critical");
            w.WriteStartObject("identity");
            w.WriteString("docker-reference", dockerReference);
            w.WriteEndObject();
            w.WriteStartObject("image");
            w.WriteString("docker-manifest-digest", imageDigest.ToString());
            w.WriteEndObject();
            w.WriteString("type", LegacyCosignSignature.SignatureType);
            w.WriteEndObject();
            w.WriteNull("optional");
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The annotations of a legacy <c>.sig</c> layer for a message-signature bundle over the payload.</summary>
    public static Dictionary<string, string> SignatureAnnotations(byte[] messageSignatureBundle)
    {
        using var bundle = JsonDocument.Parse(messageSignatureBundle);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [LegacyCosignSignature.SignatureAnnotation] = bundle.RootElement.GetProperty("messageSignature").GetProperty("signature").GetString()!,
            [LegacyCosignSignature.BundleAnnotation] = RekorBundle(bundle.RootElement),
        };
    }

    /// <summary>The layer of a legacy <c>.att</c> manifest for a DSSE bundle: the envelope JSON and its annotations
    /// (cosign leaves the signature annotation empty: the signature is inside the envelope).</summary>
    public static (byte[] Envelope, Dictionary<string, string> Annotations) AttestationLayer(byte[] dsseBundle, string predicateType)
    {
        using var bundle = JsonDocument.Parse(dsseBundle);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) bundle.RootElement.GetProperty("dsseEnvelope").WriteTo(w);
        return (buffer.WrittenSpan.ToArray(), new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [LegacyCosignSignature.SignatureAnnotation] = "",
            [PredicateTypeAnnotation] = predicateType,
            [LegacyCosignSignature.BundleAnnotation] = RekorBundle(bundle.RootElement),
        });
    }

    /// <summary><c>{"SignedEntryTimestamp":b64,"Payload":{"body":b64,"integratedTime":n,"logIndex":n,"logID":hex}}</c>
    /// from the bundle's (only) transparency-log entry.</summary>
    private static string RekorBundle(JsonElement bundle)
    {
        var entry = bundle.GetProperty("verificationMaterial").GetProperty("tlogEntries")[0];
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("SignedEntryTimestamp", entry.GetProperty("inclusionPromise").GetProperty("signedEntryTimestamp").GetString());
            w.WriteStartObject("Payload");
            w.WriteString("body", entry.GetProperty("canonicalizedBody").GetString());
            w.WriteNumber("integratedTime", long.Parse(entry.GetProperty("integratedTime").GetString()!, CultureInfo.InvariantCulture));
            w.WriteNumber("logIndex", long.Parse(entry.GetProperty("logIndex").GetString()!, CultureInfo.InvariantCulture));
            w.WriteString("logID", Convert.ToHexStringLower(Convert.FromBase64String(entry.GetProperty("logId").GetProperty("keyId").GetString()!)));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
