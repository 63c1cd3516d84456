using System.Text;
using Attest.Core;
using Attest.Oci;

namespace Attest.Server.Tests.Admission;

/// <summary>Pushes small unique images and arbitrary referrers to the rig registry (with credentials when it needs them).</summary>
internal sealed class TestImageRegistry(string host, IRegistryCredentialProvider? credentials = null) : IDisposable
{
    public RegistryClient Client { get; } = new(new RegistryClientOptions { InsecureRegistries = new HashSet<string> { host }, Credentials = credentials });

    public string Host => host;

    public async Task<Digest> PushImageAsync(string repository, string tag, string os = "linux", string architecture = "amd64")
    {
        var (digest, _) = await PushPlatformImageAsync(repository, tag, os, architecture);
        return digest;
    }

    private async Task<(Digest Digest, int Size)> PushPlatformImageAsync(string repository, string tag, string os, string architecture)
    {
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"{{architecture}}","os":"{{os}}","created":"{{Guid.NewGuid()}}"}""");
        var configDigest = await Client.PushBlobAsync(host, repository, config);
        var manifest = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}","config":{"mediaType":"{{OciMediaTypes.ImageConfig}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[]} """);
        return (await Client.PushManifestAsync(host, repository, tag, manifest, OciMediaTypes.ImageManifest), manifest.Length);
    }

    /// <summary>Pushes one image per platform (<c>os/architecture</c>) and an OCI image index listing them with
    /// their platforms, under <paramref name="tag"/>. Returns the index digest and each platform's manifest digest.</summary>
    public async Task<(Digest Index, Dictionary<string, Digest> Platforms)> PushIndexAsync(string repository, string tag, params string[] platforms)
    {
        var descriptors = new List<string>();
        var digests = new Dictionary<string, Digest>(StringComparer.Ordinal);
        foreach (var platform in platforms)
        {
            var (os, architecture) = (platform.Split('/')[0], platform.Split('/')[1]);
            var (digest, size) = await PushPlatformImageAsync(repository, $"{tag}-{os}-{architecture}", os, architecture);
            digests[platform] = digest;
            descriptors.Add($$"""{"mediaType":"{{OciMediaTypes.ImageManifest}}","digest":"{{digest}}","size":{{size}},"platform":{"os":"{{os}}","architecture":"{{architecture}}"} }""");
        }
        var index = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageIndex}}","manifests":[{{string.Join(",", descriptors)}}]}""");
        return (await Client.PushManifestAsync(host, repository, tag, index, OciMediaTypes.ImageIndex), digests);
    }

    /// <summary>Attaches <paramref name="bundleJson"/> to <paramref name="subject"/> as an OCI 1.1 referrer (a bundle
    /// artifact manifest), listed in the tag-schema fallback index as Distribution 2.8 needs.</summary>
    public async Task AttachBundleAsync(string repository, Digest subject, byte[] bundleJson, int subjectSize = 0)
    {
        var layerDigest = await Client.PushBlobAsync(host, repository, bundleJson);
        var emptyDigest = await Client.PushBlobAsync(host, repository, "{}"u8.ToArray());
        var manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}","artifactType":"{{OciMediaTypes.SigstoreBundle}}",
             "config":{"mediaType":"{{OciMediaTypes.Empty}}","digest":"{{emptyDigest}}","size":2},
             "layers":[{"mediaType":"{{OciMediaTypes.SigstoreBundle}}","digest":"{{layerDigest}}","size":{{bundleJson.Length}}}],
             "subject":{"mediaType":"{{OciMediaTypes.ImageManifest}}","digest":"{{subject}}","size":{{subjectSize}}} }
            """);
        var manifestDigest = await Client.PushManifestAsync(host, repository, manifestDigestTag(), manifest, OciMediaTypes.ImageManifest);

        // Update the fallback index: existing referrers plus this one.
        var existing = await Client.GetReferrersAsync(host, repository, subject);
        var entries = existing.Select(d => $$"""{"mediaType":"{{d.MediaType}}","digest":"{{d.Digest}}","size":{{d.Size}},"artifactType":"{{d.ArtifactType}}"}""")
            .Append($$"""{"mediaType":"{{OciMediaTypes.ImageManifest}}","digest":"{{manifestDigest}}","size":{{manifest.Length}},"artifactType":"{{OciMediaTypes.SigstoreBundle}}"}""");
        var index = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageIndex}}","manifests":[{{string.Join(",", entries)}}]}""");
        await Client.PushManifestAsync(host, repository, RegistryClient.ReferrersTag(subject), index, OciMediaTypes.ImageIndex);

        static string manifestDigestTag() => "bundle-" + Guid.NewGuid().ToString("N");
    }

    /// <summary>Attaches a Notary Project signature envelope (<c>application/jose+json</c> or <c>application/cose</c>) to
    /// <paramref name="subject"/> as notation does: a manifest of artifactType <c>application/vnd.cncf.notary.signature</c>
    /// with the empty config, the envelope as its only layer, the subject, and the chain thumbprint annotation.</summary>
    public async Task AttachNotationSignatureAsync(string repository, Digest subject, string envelopeMediaType, byte[] envelope, IReadOnlyList<byte[]>? chain = null)
    {
        var subjectManifest = await Client.GetManifestAsync(ImageReference.Parse($"{host}/{repository}@{subject}"));
        var layerDigest = await Client.PushBlobAsync(host, repository, envelope);
        await Client.PushBlobAsync(host, repository, ManifestWriter.EmptyJson);
        var annotations = new Dictionary<string, string>
        {
            ["io.cncf.notary.x509chain.thumbprint#S256"] = "[" + string.Join(",", (chain ?? []).Select(c => "\"" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(c)) + "\"")) + "]",
        };
        var manifest = ManifestWriter.Write(ManifestWriter.EmptyConfig, [new Descriptor(envelopeMediaType, layerDigest, envelope.Length)],
            new Descriptor(subjectManifest.MediaType, subject, subjectManifest.Content.Length), "application/vnd.cncf.notary.signature", annotations);
        await Client.PushReferrerAsync(host, repository, manifest);
    }

    /// <summary>Pushes a legacy cosign signature the way cosign lays it out: a manifest under the tag
    /// <c>sha256-&lt;hex&gt;.sig</c> whose layer is the simple-signing payload, with the signature and Rekor bundle
    /// as annotations.</summary>
    public Task AttachLegacySignatureAsync(string repository, Digest subject, byte[] payload, IReadOnlyDictionary<string, string> annotations) =>
        AttachLegacyLayerAsync(repository, subject, CosignArtifact.Signature, OciMediaTypes.CosignSimpleSigning, payload, annotations);

    /// <summary>Pushes a legacy cosign attestation as cosign lays it out: a manifest under the tag
    /// <c>sha256-&lt;hex&gt;.att</c> whose layer is the DSSE envelope (media type <c>application/vnd.dsse.envelope.v1+json</c>),
    /// with an empty signature annotation, the predicate type and optionally the Rekor bundle as annotations.</summary>
    public Task AttachLegacyAttestationAsync(string repository, Digest subject, byte[] envelope, IReadOnlyDictionary<string, string> annotations) =>
        AttachLegacyLayerAsync(repository, subject, CosignArtifact.Attestation, OciMediaTypes.DsseEnvelope, envelope, annotations);

    private async Task AttachLegacyLayerAsync(
        string repository, Digest subject, CosignArtifact kind, string mediaType, byte[] payload, IReadOnlyDictionary<string, string> annotations)
    {
        var payloadDigest = await Client.PushBlobAsync(host, repository, payload);
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["{{payloadDigest}}"]},"config":{} }""");
        var configDigest = await Client.PushBlobAsync(host, repository, config);
        var layer = new System.Text.Json.Nodes.JsonObject
        {
            ["mediaType"] = mediaType,
            ["digest"] = payloadDigest.ToString(),
            ["size"] = payload.Length,
            ["annotations"] = new System.Text.Json.Nodes.JsonObject(annotations.Select(a => KeyValuePair.Create(a.Key, (System.Text.Json.Nodes.JsonNode?)a.Value))),
        };
        var manifest = new System.Text.Json.Nodes.JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.ImageManifest,
            ["config"] = new System.Text.Json.Nodes.JsonObject { ["mediaType"] = OciMediaTypes.ImageConfig, ["digest"] = configDigest.ToString(), ["size"] = config.Length },
            ["layers"] = new System.Text.Json.Nodes.JsonArray(layer),
        };
        await Client.PushManifestAsync(host, repository, RegistryClient.CosignTag(subject, kind),
            Encoding.UTF8.GetBytes(manifest.ToJsonString()), OciMediaTypes.ImageManifest);
    }

    public void Dispose() => Client.Dispose();
}
