using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;

namespace Attest.Oci;

/// <summary>Writes the OCI image manifests and indexes Attest pushes (artifact manifests with a <c>subject</c>,
/// cosign's signature manifests, the referrers fallback index).</summary>
public static class ManifestWriter
{
    /// <summary>The OCI empty descriptor's content, <c>{}</c>: the config of artifact manifests (image-spec 1.1).</summary>
    public static readonly byte[] EmptyJson = "{}"u8.ToArray();

    public static Descriptor EmptyConfig { get; } = new(OciMediaTypes.Empty, Digest.Sha256(EmptyJson), EmptyJson.Length);

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Annotations hold JSON (cosign's Rekor bundle); keep it readable as cosign's Go encoder does.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>An OCI image manifest (<c>application/vnd.oci.image.manifest.v1+json</c>).</summary>
    public static byte[] Write(Descriptor config, IReadOnlyList<Descriptor> layers, Descriptor? subject = null,
        string? artifactType = null, IReadOnlyDictionary<string, string>? annotations = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(layers);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", OciMediaTypes.ImageManifest);
            if (artifactType is not null) w.WriteString("artifactType", artifactType);
            w.WritePropertyName("config");
            WriteDescriptor(w, config);
            w.WriteStartArray("layers");
            foreach (var layer in layers) WriteDescriptor(w, layer);
            w.WriteEndArray();
            if (subject is not null)
            {
                w.WritePropertyName("subject");
                WriteDescriptor(w, subject);
            }
            WriteAnnotations(w, annotations);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>An image index listing <paramref name="entry"/> after the manifests of <paramref name="existing"/>
    /// (whose other members are kept), or a new index holding only it.</summary>
    public static byte[] AppendToIndex(ReadOnlyMemory<byte>? existing, Descriptor entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        JsonObject index;
        if (existing is { } content)
        {
            try
            {
                index = JsonNode.Parse(content.Span, documentOptions: new JsonDocumentOptions { MaxDepth = OciLimits.MaxJsonDepth }) as JsonObject
                    ?? throw new RegistryException(RegistryCodes.Malformed, "the existing index is not a JSON object");
            }
            catch (JsonException e)
            {
                throw new RegistryException(RegistryCodes.Malformed, $"the existing index is not valid JSON: {e.Message}", inner: e);
            }
        }
        else
        {
            index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciMediaTypes.ImageIndex };
        }
        if (index["manifests"] is not JsonArray manifests)
        {
            manifests = [];
            index["manifests"] = manifests;
        }
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) WriteDescriptor(w, entry);
        manifests.Add(JsonNode.Parse(buffer.WrittenSpan));
        var output = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(output, WriterOptions)) index.WriteTo(w);
        return output.WrittenSpan.ToArray();
    }

    private static void WriteDescriptor(Utf8JsonWriter w, Descriptor descriptor)
    {
        w.WriteStartObject();
        w.WriteString("mediaType", descriptor.MediaType);
        w.WriteString("digest", descriptor.Digest.ToString());
        w.WriteNumber("size", descriptor.Size);
        if (descriptor.ArtifactType is not null) w.WriteString("artifactType", descriptor.ArtifactType);
        WriteAnnotations(w, descriptor.Annotations);
        w.WriteEndObject();
    }

    private static void WriteAnnotations(Utf8JsonWriter w, IReadOnlyDictionary<string, string>? annotations)
    {
        if (annotations is not { Count: > 0 }) return;
        w.WriteStartObject("annotations");
        foreach (var (name, value) in annotations) w.WriteString(name, value);
        w.WriteEndObject();
    }
}
