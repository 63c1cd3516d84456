using Attest.Core;
using Attest.Oci;

namespace Attest.Policy.Evaluation;

/// <summary>
/// Where evidence comes from: the few registry reads collection needs, each given the credentials of the request it
/// serves (a workload's image pull secrets; null for the configured ones). The evaluator depends on nothing else of
/// the registry, so it can be tested with an in-memory source, and a source never decides anything: bounds, selection
/// and verification stay in the pipeline. Content-addressed reads (by digest) must be checked against the digest.
/// </summary>
public interface IEvidenceSource
{
    /// <summary>One page of the referrers of <paramref name="subject"/> in <paramref name="image"/>'s repository
    /// (OCI 1.1 referrers API or the tag-schema fallback); <paramref name="next"/> is the previous page's link.</summary>
    Task<ReferrersPage> GetReferrersPageAsync(ImageReference image, Digest subject, string? next, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken);

    /// <summary>The manifest or index with <paramref name="digest"/> (content checked against the digest).</summary>
    Task<Manifest> GetManifestAsync(ImageReference image, Digest digest, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken);

    /// <summary>The manifest under <paramref name="tag"/>, or null when there is none (cosign's legacy tags).</summary>
    Task<Manifest?> GetTaggedManifestAsync(ImageReference image, string tag, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken);

    /// <summary>A blob of at most <paramref name="maxBytes"/>, checked against its digest.</summary>
    Task<byte[]> GetBlobAsync(ImageReference image, Digest digest, long maxBytes, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken);
}

/// <summary>The evidence source of a real registry, through the shared <see cref="RegistryClient"/>.</summary>
public sealed class RegistryEvidenceSource(RegistryClient registry) : IEvidenceSource
{
    public Task<ReferrersPage> GetReferrersPageAsync(ImageReference image, Digest subject, string? next, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken) =>
        registry.WithCredentials(credentials).GetReferrersPageAsync(image.Registry, image.Repository, subject, next, cancellationToken);

    public Task<Manifest> GetManifestAsync(ImageReference image, Digest digest, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken) =>
        registry.WithCredentials(credentials).GetManifestAsync(ImageReference.Parse($"{image.Name}@{digest}"), cancellationToken);

    public Task<Manifest?> GetTaggedManifestAsync(ImageReference image, string tag, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken) =>
        registry.WithCredentials(credentials).TryGetManifestAsync(ImageReference.Parse($"{image.Name}:{tag}"), cancellationToken);

    public Task<byte[]> GetBlobAsync(ImageReference image, Digest digest, long maxBytes, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken) =>
        registry.WithCredentials(credentials).GetBlobAsync(image.Registry, image.Repository, digest, maxBytes, cancellationToken);
}
