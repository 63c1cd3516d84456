using Attest.Core;
using Attest.Oci;
using Attest.Sigstore.Cosign;

namespace Attest.Policy.Evaluation;

/// <summary>
/// The collect stage: finds what is attached to an image digest through an <see cref="IEvidenceSource"/>, with the
/// request's credentials: Sigstore bundles and (when a policy has a Notation authority) Notary signatures among its
/// OCI 1.1 referrers (referrers API, every page up to a bound, or the <c>sha256-&lt;hex&gt;</c> fallback index), legacy
/// cosign signatures and attestations under the <c>.sig</c>/<c>.att</c> tags, and, when a policy checks platforms, the
/// index and each required platform manifest's own evidence. Discovery only: nothing counts until it verifies against an authority of a matching policy.
/// <para>Selection is not crowdable into an allow: the work is bounded (<see cref="EvidenceLimits"/>), bundles whose
/// annotated predicate type a policy looks for are examined first, a referrer whose manifest names another subject is
/// refused, and every candidate left out is named in the problems a failing policy reports.</para>
/// </summary>
public sealed class EvidenceCollector(IEvidenceSource source, EvidenceLimits? limits = null)
{
    /// <summary>cosign's annotation on a bundle referrer naming the predicate type of its DSSE statement.</summary>
    public const string PredicateTypeAnnotation = "dev.sigstore.bundle.predicateType";

    /// <summary>cosign's annotation saying whether a bundle holds a DSSE envelope or a message signature.</summary>
    public const string ContentAnnotation = "dev.sigstore.bundle.content";

    private const int NamedInFindings = 8;

    private readonly EvidenceLimits _limits = limits ?? EvidenceLimits.Default;

    public EvidenceLimits Limits => _limits;

    /// <summary>Collects for <paramref name="digest"/> in <paramref name="image"/>'s repository. Failures that may pass
    /// on retry (and a failure to list at all) are thrown as <see cref="RegistryException"/>; one unreadable artifact
    /// is a problem in the result and does not stop the others from counting.</summary>
    public async Task<CollectedEvidence> CollectAsync(
        ImageReference image, Digest digest, CollectionPlan plan, IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        var budget = new ByteBudget(_limits.MaxEvidenceBytes);
        var manifest = plan.NeedsManifest ? source.GetManifestAsync(image, digest, credentials, cancellationToken) : Task.FromResult<Manifest>(null!);
        var collected = await CollectAttachedAsync(image, digest, plan, credentials, budget, cancellationToken).ConfigureAwait(false);
        if (!plan.NeedsManifest) return collected;

        var index = await manifest.ConfigureAwait(false);
        var platforms = new Dictionary<Digest, CollectedEvidence>();
        if (plan.SignedPlatforms.Count > 0 && index.IsIndex)
        {
            var wanted = plan.SignedPlatforms
                .Select(p => index.Manifests.FirstOrDefault(m => m.Platform is { } mp && p.Matches(mp.Os, mp.Architecture, mp.Variant))?.Digest)
                .OfType<Digest>().Distinct().Take(_limits.MaxPlatforms).ToList();
            var children = await Task.WhenAll(wanted.Select(d =>
                CollectAttachedAsync(image, d, plan.ForPlatform(), credentials, budget, cancellationToken))).ConfigureAwait(false);
            foreach (var child in children) platforms[child.Subject] = child;
        }
        return collected with { Manifest = index, Platforms = platforms };
    }

    private async Task<CollectedEvidence> CollectAttachedAsync(
        ImageReference image, Digest digest, CollectionPlan plan, IRegistryCredentialProvider? credentials, ByteBudget budget, CancellationToken cancellationToken)
    {
        var signatures = CollectLegacyAsync(image, digest, CosignArtifact.Signature, credentials, budget, cancellationToken);
        var attestations = CollectLegacyAsync(image, digest, CosignArtifact.Attestation, credentials, budget, cancellationToken);
        var problems = new List<Finding>();
        var listed = await ListReferrersAsync(image, digest, credentials, problems, cancellationToken).ConfigureAwait(false);

        var candidates = listed.Where(r => IsBundle(r.ArtifactType) || IsBundle(r.MediaType))
            .DistinctBy(r => r.Digest)
            .Select((descriptor, position) => (Descriptor: descriptor, Rank: Rank(descriptor, plan), Position: position))
            .OrderBy(c => c.Rank).ThenBy(c => c.Position)
            .Select(c => c.Descriptor)
            .ToList();
        var examined = candidates.Take(_limits.MaxExaminedReferrers).ToList();
        if (candidates.Count > examined.Count)
        {
            var skipped = candidates.Skip(examined.Count).ToList();
            problems.Add(new Finding(AdmissionCodes.EvidenceUnexamined,
                $"{skipped.Count} of the {candidates.Count} Sigstore bundles attached to {digest} were not examined (at most {_limits.MaxExaminedReferrers} are, " +
                $"those of a predicate type a policy needs first): {Names(skipped.Select(s => s.Digest.ToString()), skipped.Count)}",
                new Dictionary<string, string> { ["unexamined"] = skipped.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), ["examined"] = examined.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        }

        var notary = plan.WantsNotarySignatures
            ? CollectNotaryAsync(image, digest, listed, credentials, budget, cancellationToken)
            : Task.FromResult<IReadOnlyList<(FoundEvidence?, Finding?)>>([]);
        var read = await Task.WhenAll(examined.Select(d => ReadReferrerAsync(image, digest, d, credentials, budget, cancellationToken))).ConfigureAwait(false);
        var items = new List<FoundEvidence>();
        foreach (var (found, problem) in read.Concat(await notary.ConfigureAwait(false)))
        {
            if (found is not null) items.Add(found);
            if (problem is not null) problems.Add(problem);
        }
        foreach (var (found, legacyProblems) in await Task.WhenAll(signatures, attestations).ConfigureAwait(false))
        {
            items.AddRange(found);
            problems.AddRange(legacyProblems);
        }
        return new CollectedEvidence(digest, items, problems);
    }

    /// <summary>Every page of the referrers listing up to the bounds; a listing cut short says so in a problem.</summary>
    private async Task<List<Descriptor>> ListReferrersAsync(
        ImageReference image, Digest digest, IRegistryCredentialProvider? credentials, List<Finding> problems, CancellationToken cancellationToken)
    {
        var listed = new List<Descriptor>();
        string? next = null;
        for (var page = 0; ; page++)
        {
            ReferrersPage result;
            try
            {
                result = await source.GetReferrersPageAsync(image, digest, next, credentials, cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e) when (page > 0 && !e.IsTransient)
            {
                problems.Add(new Finding(AdmissionCodes.EvidenceListingTruncated,
                    $"the referrers of {digest} were listed only in part: page {page + 1} could not be read ({e.Message}) [{e.Code}]").CausedBy(new Finding(e.Code, e.Message)));
                return listed;
            }
            listed.AddRange(result.Referrers.Take(_limits.MaxListedReferrers - listed.Count));
            if (result.Next is null) return listed;
            next = result.Next;
            if (listed.Count >= _limits.MaxListedReferrers || page + 1 >= _limits.MaxReferrerPages)
            {
                problems.Add(new Finding(AdmissionCodes.EvidenceListingTruncated,
                    $"the referrers of {digest} were listed only in part: {listed.Count} referrers on {page + 1} pages were read, and the registry offers more " +
                    $"(at most {_limits.MaxReferrerPages} pages and {_limits.MaxListedReferrers} referrers are read)"));
                return listed;
            }
        }
    }

    /// <summary>Bundles first whose annotated predicate type a policy needs (or a message signature, when a policy
    /// needs signatures), then those that do not say, then the rest; the registry's order within each.</summary>
    private static int Rank(Descriptor descriptor, CollectionPlan plan)
    {
        var annotations = descriptor.Annotations;
        if (annotations?.GetValueOrDefault(PredicateTypeAnnotation) is { } predicateType) return plan.Wants(predicateType) ? 0 : 2;
        if (annotations?.GetValueOrDefault(ContentAnnotation) == "message-signature") return plan.WantsMessageSignatures ? 0 : 2;
        return 1;
    }

    private async Task<(FoundEvidence? Bundle, Finding? Problem)> ReadReferrerAsync(
        ImageReference image, Digest subject, Descriptor descriptor, IRegistryCredentialProvider? credentials, ByteBudget budget, CancellationToken cancellationToken)
    {
        var where = $"referrer {descriptor.Digest}";
        try
        {
            var manifest = await source.GetManifestAsync(image, descriptor.Digest, credentials, cancellationToken).ConfigureAwait(false);
            if (SubjectMismatch(where, manifest, subject) is { } mismatch) return (null, mismatch);
            var layer = manifest.Layers.FirstOrDefault(l => IsBundle(l.MediaType));
            if (layer is null) return (null, new Finding(AdmissionCodes.SignatureUntrusted, $"{where} has no bundle layer"));
            if (layer.Size > _limits.MaxBundleBytes)
                return (null, new Finding(AdmissionCodes.EvidenceTooMuch, $"{where}: its bundle is {layer.Size} bytes, more than the {_limits.MaxBundleBytes} allowed"));
            if (!budget.TryTake(layer.Size))
                return (null, new Finding(AdmissionCodes.EvidenceTooMuch, $"{where} was not read: the evidence of {subject} already came to the {_limits.MaxEvidenceBytes} bytes allowed"));
            var json = await source.GetBlobAsync(image, layer.Digest, layer.Size, credentials, cancellationToken).ConfigureAwait(false);
            return (new FoundBundle(where, json), null);
        }
        catch (RegistryException e) when (!e.IsTransient)
        {
            return (null, new Finding(e.Code, $"{where} could not be read: {e.Message}"));
        }
    }

    /// <summary>A listing (the fallback index above all) is only what someone wrote; the manifest itself must name the subject.</summary>
    private static Finding? SubjectMismatch(string where, Manifest manifest, Digest subject) =>
        manifest.Subject?.Digest is { } named && named.Equals(subject)
            ? null
            : new Finding(AdmissionCodes.EvidenceSubjectMismatch,
                $"{where} is listed for {subject} but its manifest names {(manifest.Subject is { } s ? $"the subject {s.Digest}" : "no subject")}; not examined");

    /// <summary>Notary signatures among the referrers (artifactType <c>application/vnd.cncf.notary.signature</c>), at most
    /// <see cref="EvidenceLimits.MaxExaminedReferrers"/> of them: each signature manifest's single envelope layer
    /// (<c>application/jose+json</c> or <c>application/cose</c>). The subject's own manifest is read (only when there
    /// are any) for the media type and size the signed payload must name.</summary>
    private async Task<IReadOnlyList<(FoundEvidence?, Finding?)>> CollectNotaryAsync(
        ImageReference image, Digest subject, List<Descriptor> listed, IRegistryCredentialProvider? credentials, ByteBudget budget, CancellationToken cancellationToken)
    {
        var candidates = listed.Where(r => r.ArtifactType == Notation.Envelopes.NotationMediaTypes.Signature).DistinctBy(r => r.Digest).ToList();
        if (candidates.Count == 0) return [];
        var results = new List<(FoundEvidence?, Finding?)>();
        if (candidates.Count > _limits.MaxExaminedReferrers)
        {
            var skipped = candidates.Skip(_limits.MaxExaminedReferrers).ToList();
            results.Add((null, new Finding(AdmissionCodes.EvidenceUnexamined,
                $"{skipped.Count} of the {candidates.Count} Notary signatures attached to {subject} were not examined (at most {_limits.MaxExaminedReferrers} are): " +
                Names(skipped.Select(s => s.Digest.ToString()), skipped.Count))));
            candidates = candidates.Take(_limits.MaxExaminedReferrers).ToList();
        }
        var manifest = await source.GetManifestAsync(image, subject, credentials, cancellationToken).ConfigureAwait(false);
        var expected = new Notation.Verification.ExpectedArtifact(subject, manifest.MediaType, manifest.Content.Length);
        results.AddRange(await Task.WhenAll(candidates.Select(async descriptor =>
        {
            var where = $"Notary signature {descriptor.Digest}";
            try
            {
                var signature = await source.GetManifestAsync(image, descriptor.Digest, credentials, cancellationToken).ConfigureAwait(false);
                if (SubjectMismatch(where, signature, subject) is { } mismatch) return (null, mismatch);
                if (signature.Layers is not [var layer] || !Notation.Envelopes.NotationEnvelope.IsEnvelopeMediaType(layer.MediaType))
                    return ((FoundEvidence?)null, (Finding?)new Finding(AdmissionCodes.SignatureUntrusted,
                        $"{where} must have exactly one envelope layer ({Notation.Envelopes.NotationMediaTypes.Jws} or {Notation.Envelopes.NotationMediaTypes.Cose})"));
                if (layer.Size > Notation.NotationLimits.MaxEnvelopeBytes)
                    return (null, new Finding(AdmissionCodes.EvidenceTooMuch, $"{where}: its envelope is {layer.Size} bytes, more than the {Notation.NotationLimits.MaxEnvelopeBytes} allowed"));
                if (!budget.TryTake(layer.Size))
                    return (null, new Finding(AdmissionCodes.EvidenceTooMuch, $"{where} was not read: the evidence of {subject} already came to the {_limits.MaxEvidenceBytes} bytes allowed"));
                var envelope = await source.GetBlobAsync(image, layer.Digest, layer.Size, credentials, cancellationToken).ConfigureAwait(false);
                return (new FoundNotarySignature(where, layer.MediaType, envelope, expected), null);
            }
            catch (RegistryException e) when (!e.IsTransient)
            {
                return (null, new Finding(e.Code, $"{where} could not be read: {e.Message}"));
            }
        })).ConfigureAwait(false));
        return results;
    }

    /// <summary>The layers of one of cosign's legacy tags (<c>.sig</c> or <c>.att</c>).</summary>
    private async Task<(List<FoundEvidence> Found, List<Finding> Problems)> CollectLegacyAsync(
        ImageReference image, Digest digest, CosignArtifact kind, IRegistryCredentialProvider? credentials, ByteBudget budget, CancellationToken cancellationToken)
    {
        var found = new List<FoundEvidence>();
        var problems = new List<Finding>();
        var tag = RegistryClient.CosignTag(digest, kind);
        var (what, mediaType, maxBytes) = kind == CosignArtifact.Signature
            ? ("cosign signature", LegacyCosignSignature.SimpleSigningMediaType, (long)LegacyCosignSignature.MaxPayloadBytes)
            : ("cosign attestation", LegacyCosignAttestation.DsseMediaType, (long)LegacyCosignAttestation.MaxEnvelopeBytes);
        Manifest? manifest;
        try
        {
            manifest = await source.GetTaggedManifestAsync(image, tag, credentials, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e) when (!e.IsTransient)
        {
            problems.Add(new Finding(e.Code, $"{what} tag {tag} could not be read: {e.Message}"));
            return (found, problems);
        }
        if (manifest is null) return (found, problems);
        var layers = manifest.Layers.Where(l => l.MediaType == mediaType).ToList();
        if (layers.Count > _limits.MaxLegacyLayers)
            problems.Add(new Finding(AdmissionCodes.EvidenceUnexamined,
                $"{what} tag {tag} has {layers.Count} layers; {layers.Count - _limits.MaxLegacyLayers} were not examined (at most {_limits.MaxLegacyLayers} are): " +
                Names(layers.Skip(_limits.MaxLegacyLayers).Select(l => l.Digest.ToString()), layers.Count - _limits.MaxLegacyLayers)));
        foreach (var layer in layers.Take(_limits.MaxLegacyLayers))
        {
            var layerSource = $"{what} {tag} layer {layer.Digest}";
            if (layer.Size > maxBytes || !budget.TryTake(layer.Size))
            {
                problems.Add(new Finding(AdmissionCodes.EvidenceTooMuch, $"{layerSource} was not read: it is {layer.Size} bytes, more than the evidence bounds allow"));
                continue;
            }
            try
            {
                var blob = await source.GetBlobAsync(image, layer.Digest, layer.Size, credentials, cancellationToken).ConfigureAwait(false);
                var annotations = layer.Annotations ?? new Dictionary<string, string>();
                found.Add(kind == CosignArtifact.Signature
                    ? new FoundLegacySignature(layerSource, new LegacyCosignSignature(blob, annotations))
                    : new FoundLegacyAttestation(layerSource, new LegacyCosignAttestation(blob, annotations)));
            }
            catch (RegistryException e) when (!e.IsTransient)
            {
                problems.Add(new Finding(e.Code, $"{what} layer {layer.Digest} could not be read: {e.Message}"));
            }
        }
        return (found, problems);
    }

    private static string Names(IEnumerable<string> names, int count)
    {
        var shown = names.Take(NamedInFindings).ToList();
        return string.Join(", ", shown) + (count > shown.Count ? $" (and {count - shown.Count} more)" : "");
    }

    private static bool IsBundle(string? mediaType) =>
        mediaType is not null && mediaType.StartsWith("application/vnd.dev.sigstore.bundle", StringComparison.Ordinal);

    /// <summary>Bytes of evidence still allowed for one collection (shared by its concurrent reads).</summary>
    private sealed class ByteBudget(long bytes)
    {
        private long _left = bytes;

        public bool TryTake(long size)
        {
            if (size < 0) return false;
            if (Interlocked.Add(ref _left, -size) >= 0) return true;
            Interlocked.Add(ref _left, size);
            return false;
        }
    }
}
