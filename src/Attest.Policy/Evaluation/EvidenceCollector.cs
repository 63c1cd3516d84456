using Attest.Core;
using Attest.Core.Dsse;
using Attest.Core.InToto;
using Attest.Oci;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Cosign;

namespace Attest.Policy.Evaluation;

/// <summary>A Sigstore bundle found attached to an image; nothing about it is trusted yet. It is parsed once, on
/// first use, however many policies then verify it.</summary>
public sealed record FoundBundle(string Source, byte[] Json)
{
    private readonly Lazy<ParsedBundle> _parsed = new(() => ParsedBundle.From(Json));

    public ParsedBundle Parsed => _parsed.Value;
}

/// <summary>A bundle's structure, or why it has none; for DSSE bundles also the (unverified) in-toto statement.</summary>
public sealed record ParsedBundle(Bundle? Bundle, Finding? Failure, Statement? Statement, byte[]? StatementBytes)
{
    public static ParsedBundle From(byte[] json)
    {
        if (!Bundle.TryParse(json, out var bundle, out var failure)) return new ParsedBundle(null, failure, null, null);
        var statementBytes = bundle.DsseEnvelope?.Payload;
        Statement? statement = null;
        if (statementBytes is not null) Statement.TryParse(statementBytes, out statement, out _);
        return new ParsedBundle(bundle, null, statement, statementBytes);
    }
}

/// <summary>A legacy cosign signature layer (simple-signing payload and its annotations); not trusted yet.</summary>
public sealed record FoundLegacySignature(string Source, LegacyCosignSignature Signature);

/// <summary>A legacy cosign attestation layer (DSSE envelope and its annotations); not trusted yet. Its in-toto
/// statement is read once, for the predicate type a failure names and for the conditions once it verifies.</summary>
public sealed record FoundLegacyAttestation(string Source, LegacyCosignAttestation Attestation)
{
    private readonly Lazy<(Statement? Statement, byte[]? Bytes)> _statement = new(() =>
    {
        if (!DsseEnvelope.TryParse(Attestation.Envelope, out var envelope, out _, new DsseLimits(LegacyCosignAttestation.MaxEnvelopeBytes))) return (null, null);
        return Statement.TryParse(envelope.Payload, out var statement, out _) ? (statement, envelope.Payload) : (null, null);
    });

    public Statement? Statement => _statement.Value.Statement;

    public byte[]? StatementBytes => _statement.Value.Bytes;
}

/// <summary>A Notary Project signature envelope found as a referrer (JWS or COSE, by its layer media type), with the
/// descriptor of the image it was found on (media type and size, from the image manifest the registry served for the
/// digest): the signed payload must name exactly that. Nothing about it is trusted yet.</summary>
public sealed record FoundNotationSignature(string Source, string MediaType, byte[] Envelope, Notation.Verification.ExpectedArtifact Image);

public sealed record CollectedEvidence(
    IReadOnlyList<FoundBundle> Bundles,
    IReadOnlyList<FoundLegacySignature> LegacySignatures,
    IReadOnlyList<FoundLegacyAttestation> LegacyAttestations,
    IReadOnlyList<Finding> Problems)
{
    public IReadOnlyList<FoundNotationSignature> NotationSignatures { get; init; } = [];

    public int Count => Bundles.Count + LegacySignatures.Count + LegacyAttestations.Count + NotationSignatures.Count;
}

/// <summary>
/// Finds the signatures and attestations attached to an image digest: Sigstore bundles among its OCI 1.1
/// referrers (the registry's referrers API, or the <c>sha256-&lt;hex&gt;</c> fallback index), legacy cosign
/// signatures under the <c>sha256-&lt;hex&gt;.sig</c> tag and legacy cosign attestations under <c>.att</c>. Discovery only: nothing counts until it verifies against
/// an authority of a matching policy.
/// </summary>
public sealed class EvidenceCollector(RegistryClient registry)
{
    /// <summary>Referrers examined per image; more are reported, not silently ignored.</summary>
    public const int MaxArtifacts = 32;

    /// <summary>A bundle carries its statement (an SBOM attestation can be large), never more than this.</summary>
    public const long MaxBundleBytes = 32L << 20;

    /// <summary>The manifest or index <paramref name="digest"/> names (digest-checked by the registry client).</summary>
    public Task<Manifest> GetManifestAsync(ImageReference image, Digest digest, CancellationToken cancellationToken) =>
        registry.GetManifestAsync(ImageReference.Parse($"{image.Name}@{digest}"), cancellationToken);

    public async Task<CollectedEvidence> CollectAsync(ImageReference image, Digest digest, CancellationToken cancellationToken)
    {
        var legacy = CollectLegacyAsync(image, digest, CosignArtifact.Signature, LegacyCosignSignature.SimpleSigningMediaType, LegacyCosignSignature.MaxPayloadBytes, cancellationToken);
        var legacyAttestations = CollectLegacyAsync(image, digest, CosignArtifact.Attestation, LegacyCosignAttestation.DsseMediaType, LegacyCosignAttestation.MaxEnvelopeBytes, cancellationToken);
        var referrers = await registry.GetReferrersAsync(image.Registry, image.Repository, digest, cancellationToken).ConfigureAwait(false);
        var candidates = referrers.Where(r => IsBundle(r.ArtifactType) || IsBundle(r.MediaType)).ToList();
        var notation = CollectNotationAsync(image, digest, referrers.Where(r => r.ArtifactType == Notation.Envelopes.NotationMediaTypes.Signature).ToList(), cancellationToken);
        var problems = new List<Finding>();
        if (candidates.Count > MaxArtifacts)
        {
            problems.Add(new Finding(AdmissionCodes.EvidenceTooMuch,
                $"{candidates.Count} Sigstore bundles are attached; only the first {MaxArtifacts} were examined"));
            candidates = candidates.Take(MaxArtifacts).ToList();
        }

        var found = await Task.WhenAll(candidates.Select(async descriptor =>
        {
            var source = $"referrer {descriptor.Digest}";
            try
            {
                var manifest = await registry.GetManifestAsync(ImageReference.Parse($"{image.Name}@{descriptor.Digest}"), cancellationToken).ConfigureAwait(false);
                var layer = manifest.Layers.FirstOrDefault(l => IsBundle(l.MediaType));
                if (layer is null) return (Bundle: (FoundBundle?)null, Problem: (Finding?)new Finding(AdmissionCodes.SignatureUntrusted, $"{source} has no bundle layer"));
                var json = await registry.GetBlobAsync(image.Registry, image.Repository, layer.Digest, MaxBundleBytes, cancellationToken).ConfigureAwait(false);
                return (new FoundBundle(source, json), null);
            }
            catch (RegistryException e) when (!e.IsTransient)
            {
                // A broken referrer is not evidence; it does not stop the others from counting.
                return (null, new Finding(e.Code, $"{source} could not be read: {e.Message}"));
            }
        })).ConfigureAwait(false);

        problems.AddRange(found.Where(f => f.Problem is not null).Select(f => f.Problem!));
        var (legacySignatures, legacyProblems) = await legacy.ConfigureAwait(false);
        problems.AddRange(legacyProblems);
        var (legacyAttestationLayers, attestationProblems) = await legacyAttestations.ConfigureAwait(false);
        problems.AddRange(attestationProblems);
        var (notationSignatures, notationProblems) = await notation.ConfigureAwait(false);
        problems.AddRange(notationProblems);
        return new CollectedEvidence(
            found.Where(f => f.Bundle is not null).Select(f => f.Bundle!).ToList(),
            legacySignatures.Select(l => new FoundLegacySignature(l.Source, new LegacyCosignSignature(l.Blob, l.Annotations))).ToList(),
            legacyAttestationLayers.Select(l => new FoundLegacyAttestation(l.Source, new LegacyCosignAttestation(l.Blob, l.Annotations))).ToList(),
            problems)
        {
            NotationSignatures = notationSignatures,
        };
    }

    /// <summary>Notary signatures among the referrers (artifactType <c>application/vnd.cncf.notary.signature</c>): each
    /// signature manifest's single envelope layer (<c>application/jose+json</c> or <c>application/cose</c>). The image's own
    /// manifest is fetched (only when there are any) for the media type and size the payload must name.</summary>
    private async Task<(List<FoundNotationSignature> Signatures, List<Finding> Problems)> CollectNotationAsync(
        ImageReference image, Digest digest, List<Descriptor> referrers, CancellationToken cancellationToken)
    {
        var signatures = new List<FoundNotationSignature>();
        var problems = new List<Finding>();
        if (referrers.Count == 0) return (signatures, problems);
        if (referrers.Count > MaxArtifacts)
        {
            problems.Add(new Finding(AdmissionCodes.EvidenceTooMuch, $"{referrers.Count} Notary signatures are attached; only the first {MaxArtifacts} were examined"));
            referrers = referrers.Take(MaxArtifacts).ToList();
        }
        var manifest = await GetManifestAsync(image, digest, cancellationToken).ConfigureAwait(false);
        var expected = new Notation.Verification.ExpectedArtifact(digest, manifest.MediaType, manifest.Content.Length);
        var found = await Task.WhenAll(referrers.Select(async descriptor =>
        {
            var source = $"Notary signature {descriptor.Digest}";
            try
            {
                var signatureManifest = await registry.GetManifestAsync(ImageReference.Parse($"{image.Name}@{descriptor.Digest}"), cancellationToken).ConfigureAwait(false);
                var layers = signatureManifest.Layers.Where(l => Notation.Envelopes.NotationEnvelope.IsEnvelopeMediaType(l.MediaType)).ToList();
                if (layers.Count != 1 || signatureManifest.Layers.Count != 1)
                    return (Signature: (FoundNotationSignature?)null, Problem: (Finding?)new Finding(AdmissionCodes.SignatureUntrusted, $"{source} must have exactly one envelope layer (application/jose+json or application/cose)"));
                var envelope = await registry.GetBlobAsync(image.Registry, image.Repository, layers[0].Digest, Notation.NotationLimits.MaxEnvelopeBytes, cancellationToken).ConfigureAwait(false);
                return (new FoundNotationSignature(source, layers[0].MediaType, envelope, expected), null);
            }
            catch (RegistryException e) when (!e.IsTransient)
            {
                return (null, new Finding(e.Code, $"{source} could not be read: {e.Message}"));
            }
        })).ConfigureAwait(false);
        signatures.AddRange(found.Where(f => f.Signature is not null).Select(f => f.Signature!));
        problems.AddRange(found.Where(f => f.Problem is not null).Select(f => f.Problem!));
        return (signatures, problems);
    }

    private sealed record LegacyLayer(string Source, byte[] Blob, IReadOnlyDictionary<string, string> Annotations);

    /// <summary>The layers of one of cosign's legacy tags (<c>.sig</c> or <c>.att</c>) of the given media type.</summary>
    private async Task<(List<LegacyLayer> Layers, List<Finding> Problems)> CollectLegacyAsync(
        ImageReference image, Digest digest, CosignArtifact kind, string mediaType, long maxBytes, CancellationToken cancellationToken)
    {
        var layers = new List<LegacyLayer>();
        var problems = new List<Finding>();
        var tag = RegistryClient.CosignTag(digest, kind);
        var what = kind == CosignArtifact.Signature ? "cosign signature" : "cosign attestation";
        Manifest? manifest;
        try
        {
            manifest = await registry.GetCosignArtifactAsync(image, digest, kind, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e) when (!e.IsTransient)
        {
            problems.Add(new Finding(e.Code, $"{what} tag {tag} could not be read: {e.Message}"));
            return (layers, problems);
        }
        if (manifest is null) return (layers, problems);
        var matching = manifest.Layers.Where(l => l.MediaType == mediaType).ToList();
        if (matching.Count > MaxArtifacts)
            problems.Add(new Finding(AdmissionCodes.EvidenceTooMuch, $"{what} tag {tag} has {matching.Count} layers; only the first {MaxArtifacts} were examined"));
        foreach (var layer in matching.Take(MaxArtifacts))
        {
            try
            {
                var blob = await registry.GetBlobAsync(image.Registry, image.Repository, layer.Digest, maxBytes, cancellationToken).ConfigureAwait(false);
                layers.Add(new LegacyLayer($"{what} {tag} layer {layer.Digest}", blob, layer.Annotations ?? new Dictionary<string, string>()));
            }
            catch (RegistryException e) when (!e.IsTransient)
            {
                problems.Add(new Finding(e.Code, $"{what} layer {layer.Digest} could not be read: {e.Message}"));
            }
        }
        return (layers, problems);
    }

    private static bool IsBundle(string? mediaType) =>
        mediaType is not null && mediaType.StartsWith("application/vnd.dev.sigstore.bundle", StringComparison.Ordinal);
}
