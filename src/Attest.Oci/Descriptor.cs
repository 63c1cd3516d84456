using System.Text.Json;
using System.Text.Json.Serialization;
using Attest.Core;

namespace Attest.Oci;

/// <summary>An OCI content descriptor.</summary>
public sealed record Descriptor(
    string MediaType,
    Digest Digest,
    long Size,
    string? ArtifactType = null,
    IReadOnlyDictionary<string, string>? Annotations = null,
    Platform? Platform = null);

/// <summary>One page of a referrers listing: the descriptors, the link to the next page (null on the last), and
/// whether it came from the referrers API or from the tag-schema fallback index (always one page).</summary>
public sealed record ReferrersPage(IReadOnlyList<Descriptor> Referrers, string? Next, bool FromApi);

public sealed record Platform(string Os, string Architecture, string? Variant = null)
{
    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}

/// <summary>A manifest or index as fetched: the exact bytes (what the digest covers) plus the parsed parts Attest
/// uses. Unknown fields are ignored, as the OCI spec requires.</summary>
public sealed record Manifest(
    Digest Digest,
    string MediaType,
    ReadOnlyMemory<byte> Content,
    string? ArtifactType,
    Descriptor? Config,
    IReadOnlyList<Descriptor> Layers,
    IReadOnlyList<Descriptor> Manifests,
    Descriptor? Subject,
    IReadOnlyDictionary<string, string> Annotations)
{
    public bool IsIndex => OciMediaTypes.IsIndex(MediaType);

    /// <summary>Parses manifest or index JSON; <paramref name="headerMediaType"/> is the Content-Type the registry
    /// sent, used when the document does not name its own media type.</summary>
    public static Manifest Parse(Digest digest, ReadOnlyMemory<byte> content, string? headerMediaType)
    {
        ManifestJson? json;
        try
        {
            json = JsonSerializer.Deserialize(content.Span, OciJsonContext.Default.ManifestJson);
        }
        catch (JsonException e)
        {
            throw new RegistryException(RegistryCodes.Malformed, $"manifest {digest} is not valid JSON: {e.Message}", inner: e);
        }
        if (json is null) throw new RegistryException(RegistryCodes.Malformed, $"manifest {digest} is empty");

        var mediaType = json.MediaType ?? headerMediaType ?? (json.Manifests is not null ? OciMediaTypes.ImageIndex : OciMediaTypes.ImageManifest);
        if ((json.Layers?.Count ?? 0) + (json.Manifests?.Count ?? 0) > OciLimits.MaxDescriptors)
            throw new RegistryException(RegistryCodes.TooLarge, $"manifest {digest} lists more than {OciLimits.MaxDescriptors} descriptors");

        return new Manifest(
            digest,
            mediaType,
            content,
            json.ArtifactType,
            json.Config is null ? null : ToDescriptor(json.Config, digest),
            json.Layers?.Select(d => ToDescriptor(d, digest)).ToList() ?? [],
            json.Manifests?.Select(d => ToDescriptor(d, digest)).ToList() ?? [],
            json.Subject is null ? null : ToDescriptor(json.Subject, digest),
            json.Annotations ?? new Dictionary<string, string>());
    }

    private static Descriptor ToDescriptor(DescriptorJson json, Digest owner)
    {
        if (json.MediaType is null || json.Digest is null)
            throw new RegistryException(RegistryCodes.Malformed, $"manifest {owner} has a descriptor without mediaType or digest");
        if (!Core.Digest.TryParse(json.Digest, out var digest, out var error))
            throw new RegistryException(RegistryCodes.Malformed, $"manifest {owner} has a descriptor with an invalid digest: {error}");
        if (json.Size < 0) throw new RegistryException(RegistryCodes.Malformed, $"manifest {owner} has a descriptor with a negative size");
        var platform = json.Platform is { Os: { } os, Architecture: { } arch } ? new Platform(os, arch, json.Platform.Variant) : null;
        return new Descriptor(json.MediaType, digest.Value, json.Size, json.ArtifactType, json.Annotations, platform);
    }
}

internal sealed class ManifestJson
{
    public int SchemaVersion { get; set; }
    public string? MediaType { get; set; }
    public string? ArtifactType { get; set; }
    public DescriptorJson? Config { get; set; }
    public List<DescriptorJson>? Layers { get; set; }
    public List<DescriptorJson>? Manifests { get; set; }
    public DescriptorJson? Subject { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
}

internal sealed class DescriptorJson
{
    public string? MediaType { get; set; }
    public string? Digest { get; set; }
    public long Size { get; set; }
    public string? ArtifactType { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public PlatformJson? Platform { get; set; }
}

internal sealed class PlatformJson
{
    public string? Os { get; set; }
    public string? Architecture { get; set; }
    public string? Variant { get; set; }
}

internal sealed class TokenResponseJson
{
    public string? Token { get; set; }
    [JsonPropertyName("access_token")] public string? AccessToken { get; set; }
    [JsonPropertyName("expires_in")] public int? ExpiresIn { get; set; }
}

internal sealed class TagListJson
{
    public string? Name { get; set; }
    public List<string>? Tags { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, MaxDepth = OciLimits.MaxJsonDepth,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ManifestJson))]
[JsonSerializable(typeof(TokenResponseJson))]
[JsonSerializable(typeof(TagListJson))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
