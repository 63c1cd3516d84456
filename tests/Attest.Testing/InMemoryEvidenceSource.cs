using System.Collections.Concurrent;
using System.Text;
using Attest.Core;
using Attest.Oci;
using Attest.Policy.Evaluation;

namespace Attest.Testing;

/// <summary>
/// An <see cref="IEvidenceSource"/> over repositories held in memory, for tests of the evaluator without a registry
/// process. Content is addressed by digest and checked like a registry client would; referrers are computed from the
/// manifests pushed, as distribution-spec 1.1 "Listing Referrers" says (descriptors of the manifests in the same
/// repository whose <c>subject</c> is the digest, with their artifactType and annotations), and paged by
/// <see cref="PageSize"/>. Hooks let a test count calls, hold them at a gate, make them fail, or add hostile listings.
/// </summary>
public sealed class InMemoryEvidenceSource : IEvidenceSource
{
    private readonly ConcurrentDictionary<(string Repository, Digest Digest), byte[]> _content = new();
    private readonly ConcurrentDictionary<(string Repository, string Tag), Digest> _tags = new();
    private readonly ConcurrentDictionary<(string Repository, Digest Subject), List<Descriptor>> _extraReferrers = new();
    private int _calls;

    /// <summary>Referrers per page (a next link follows while more remain).</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>When set, every listing page links to another one, for ever (a hostile registry).</summary>
    public bool EndlessReferrerPages { get; set; }

    /// <summary>Every call waits for this gate first, when set (to hold work in flight).</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>When set, every call throws it (a registry that fails).</summary>
    public Exception? Failure { get; set; }

    /// <summary>Calls made so far.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The credentials each call was given, in order.</summary>
    public ConcurrentQueue<IRegistryCredentialProvider?> CredentialsSeen { get; } = new();

    /// <summary>Stores a blob in <paramref name="repository"/> (<c>registry/path</c>, as <see cref="ImageReference.Name"/>).</summary>
    public Digest PushBlob(string repository, byte[] content)
    {
        var digest = Digest.Sha256(content);
        _content[(repository, digest)] = content;
        return digest;
    }

    /// <summary>Stores a manifest or index, optionally under a tag; returns its digest.</summary>
    public Digest PushManifest(string repository, byte[] manifest, string? tag = null)
    {
        var digest = PushBlob(repository, manifest);
        if (tag is not null) _tags[(repository, tag)] = digest;
        return digest;
    }

    /// <summary>A small unique single-platform image.</summary>
    public (Digest Digest, byte[] Manifest) PushImage(string repository, string os = "linux", string architecture = "amd64")
    {
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"{{architecture}}","os":"{{os}}","created":"{{Guid.NewGuid()}}"}""");
        var configDigest = PushBlob(repository, config);
        var manifest = ManifestWriter.Write(new Descriptor(OciMediaTypes.ImageConfig, configDigest, config.Length), []);
        return (PushManifest(repository, manifest), manifest);
    }

    /// <summary>An image index over one new image per platform (<c>os/architecture</c>); returns the index digest and
    /// each platform's manifest digest.</summary>
    public (Digest Index, Dictionary<string, Digest> Platforms) PushIndex(string repository, params string[] platforms)
    {
        var digests = new Dictionary<string, Digest>(StringComparer.Ordinal);
        var entries = new List<string>();
        foreach (var platform in platforms)
        {
            var (os, architecture) = (platform.Split('/')[0], platform.Split('/')[1]);
            var (digest, manifest) = PushImage(repository, os, architecture);
            digests[platform] = digest;
            entries.Add($$"""{"mediaType":"{{OciMediaTypes.ImageManifest}}","digest":"{{digest}}","size":{{manifest.Length}},"platform":{"os":"{{os}}","architecture":"{{architecture}}"} }""");
        }
        var index = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageIndex}}","manifests":[{{string.Join(",", entries)}}]}""");
        return (PushManifest(repository, index), digests);
    }

    /// <summary>Attaches a Sigstore bundle to <paramref name="subject"/> as cosign does (an artifact manifest whose
    /// one layer is the bundle); returns the referrer manifest's digest.</summary>
    public Digest AttachBundle(string repository, Digest subject, byte[] bundleJson, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var layer = PushBlob(repository, bundleJson);
        PushBlob(repository, ManifestWriter.EmptyJson);
        var manifest = ManifestWriter.Write(ManifestWriter.EmptyConfig,
            [new Descriptor(OciMediaTypes.SigstoreBundle, layer, bundleJson.Length)],
            new Descriptor(OciMediaTypes.ImageManifest, subject, 0), OciMediaTypes.SigstoreBundle, annotations);
        return PushManifest(repository, manifest);
    }

    /// <summary>Attaches a Notary Project signature envelope to <paramref name="subject"/> as notation does (a manifest
    /// of artifactType <c>application/vnd.cncf.notary.signature</c> whose one layer is the envelope, of
    /// <paramref name="envelopeMediaType"/>); returns the signature manifest's digest.</summary>
    public Digest AttachNotarySignature(string repository, Digest subject, string envelopeMediaType, byte[] envelope)
    {
        var layer = PushBlob(repository, envelope);
        PushBlob(repository, ManifestWriter.EmptyJson);
        var manifest = ManifestWriter.Write(ManifestWriter.EmptyConfig, [new Descriptor(envelopeMediaType, layer, envelope.Length)],
            new Descriptor(OciMediaTypes.ImageManifest, subject, 0), "application/vnd.cncf.notary.signature");
        return PushManifest(repository, manifest);
    }

    /// <summary>Lists <paramref name="descriptor"/> among the referrers of <paramref name="subject"/> whatever it
    /// is (a listing that lies: the manifest may name another subject, or not exist).</summary>
    public void ListReferrer(string repository, Digest subject, Descriptor descriptor) =>
        _extraReferrers.GetOrAdd((repository, subject), _ => []).Add(descriptor);

    /// <summary>Pushes a legacy cosign signature under <c>sha256-&lt;hex&gt;.sig</c>.</summary>
    public void AttachLegacySignature(string repository, Digest subject, byte[] payload, IReadOnlyDictionary<string, string> annotations)
    {
        var layer = PushBlob(repository, payload);
        var config = PushBlob(repository, ManifestWriter.EmptyJson);
        var manifest = ManifestWriter.Write(new Descriptor(OciMediaTypes.ImageConfig, config, ManifestWriter.EmptyJson.Length),
            [new Descriptor(OciMediaTypes.CosignSimpleSigning, layer, payload.Length, Annotations: annotations)]);
        PushManifest(repository, manifest, RegistryClient.CosignTag(subject, CosignArtifact.Signature));
    }

    public async Task<ReferrersPage> GetReferrersPageAsync(ImageReference image, Digest subject, string? next, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        await EnterAsync(credentials, cancellationToken).ConfigureAwait(false);
        var page = next is null ? 0 : int.Parse(next["page=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        if (EndlessReferrerPages)
        {
            var junk = Enumerable.Range(0, PageSize).Select(i => new Descriptor(OciMediaTypes.ImageManifest,
                Digest.Sha256(Encoding.UTF8.GetBytes($"junk {page} {i}")), 100, OciMediaTypes.SigstoreBundle)).ToList();
            return new ReferrersPage(junk, $"page={page + 1}", FromApi: true);
        }
        var all = Referrers(image.Name, subject);
        var slice = all.Skip(page * PageSize).Take(PageSize).ToList();
        return new ReferrersPage(slice, all.Count > (page + 1) * PageSize ? $"page={page + 1}" : null, FromApi: true);
    }

    public async Task<Manifest> GetManifestAsync(ImageReference image, Digest digest, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        await EnterAsync(credentials, cancellationToken).ConfigureAwait(false);
        if (!_content.TryGetValue((image.Name, digest), out var content))
            throw new RegistryException(RegistryCodes.NotFound, $"manifest {image.Name}@{digest} was not found");
        return Manifest.Parse(digest, content, null);
    }

    public async Task<Manifest?> GetTaggedManifestAsync(ImageReference image, string tag, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        await EnterAsync(credentials, cancellationToken).ConfigureAwait(false);
        return _tags.TryGetValue((image.Name, tag), out var digest) ? Manifest.Parse(digest, _content[(image.Name, digest)], null) : null;
    }

    public async Task<byte[]> GetBlobAsync(ImageReference image, Digest digest, long maxBytes, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        await EnterAsync(credentials, cancellationToken).ConfigureAwait(false);
        if (!_content.TryGetValue((image.Name, digest), out var content))
            throw new RegistryException(RegistryCodes.NotFound, $"blob {digest} of {image.Name} was not found");
        if (content.Length > maxBytes) throw new RegistryException(RegistryCodes.TooLarge, $"blob {digest} is more than the {maxBytes} bytes allowed");
        return content;
    }

    /// <summary>What the referrers API would list for <paramref name="subject"/>: every manifest of the repository
    /// naming it, in digest order, then any listing added by <see cref="ListReferrer"/>.</summary>
    private List<Descriptor> Referrers(string repository, Digest subject)
    {
        var listed = new List<Descriptor>();
        foreach (var ((repo, digest), content) in _content.OrderBy(c => c.Key.Digest.ToString(), StringComparer.Ordinal))
        {
            if (repo != repository) continue;
            Manifest manifest;
            try
            {
                manifest = Manifest.Parse(digest, content, null);
            }
            catch (RegistryException)
            {
                continue; // a blob, not a manifest
            }
            if (manifest.Subject?.Digest.Equals(subject) != true) continue;
            listed.Add(new Descriptor(manifest.MediaType, digest, content.Length, manifest.ArtifactType ?? manifest.Config?.MediaType,
                manifest.Annotations.Count > 0 ? manifest.Annotations : null));
        }
        if (_extraReferrers.TryGetValue((repository, subject), out var extra)) listed.AddRange(extra);
        return listed;
    }

    private async Task EnterAsync(IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        CredentialsSeen.Enqueue(credentials);
        if (Gate is { } gate) await gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (Failure is { } failure) throw failure;
    }
}
