using Attest.Policy.Model;
using Attest.Sigstore.Signing;

namespace Attest.Policy.Evaluation;

/// <summary>
/// What to collect for an image: the predicate types its policies look for (to examine those referrers first), whether
/// Notary signatures are (a policy has a Notation authority), and whether the manifest and the platform manifests' own
/// evidence are needed. Made from every policy of the revision
/// whose image globs cover the image, whatever the namespace and kind, so that what is collected for a (revision,
/// repository, digest) never depends on who asks, and neither do the verdicts built on it.
/// </summary>
public sealed record CollectionPlan(
    IReadOnlyList<string> PredicateTypes,
    bool WantsMessageSignatures,
    bool NeedsManifest,
    IReadOnlyList<PlatformName> SignedPlatforms)
{
    /// <summary>Whether a policy covering the image has a Notation authority (else Notary referrers are not read).</summary>
    public bool WantsNotarySignatures { get; init; }

    /// <summary>The policies of <paramref name="policies"/> that cover <paramref name="imageName"/>.</summary>
    public static CollectionPlan For(IEnumerable<ImagePolicy> policies, string imageName)
    {
        var covering = policies.Where(p => p.Match.MatchesImage(imageName)).ToList();
        var predicateTypes = new List<string>();
        if (covering.Any(p => p.Signatures is not null)) predicateTypes.Add(StatementWriter.CosignSignPredicateType);
        predicateTypes.AddRange(covering.SelectMany(p => p.Attestations).Select(a => a.PredicateType));
        predicateTypes.AddRange(covering.Select(p => p.Vulnerabilities).OfType<VulnerabilityRequirement>()
            .SelectMany(v => v.Vex is { } vex ? [v.PredicateType, vex.PredicateType] : new[] { v.PredicateType }));
        return new CollectionPlan(
            predicateTypes.Distinct(StringComparer.Ordinal).ToList(),
            covering.Any(p => p.Signatures is not null),
            covering.Any(p => p.Platforms is not null),
            covering.Where(p => p.Platforms is { Signed: true }).SelectMany(p => p.Platforms!.Required).Distinct().ToList())
        {
            WantsNotarySignatures = covering.Any(p => p.Authorities.Values.Any(a => a is NotationAuthority)),
        };
    }

    /// <summary>What a platform manifest needs: its signatures, nothing about platforms.</summary>
    public CollectionPlan ForPlatform() => this with { NeedsManifest = false, SignedPlatforms = [] };

    /// <summary>Whether a statement of <paramref name="predicateType"/> is one some policy looks for (prefix match, as
    /// attestation requirements match).</summary>
    public bool Wants(string predicateType) => PredicateTypes.Any(p => predicateType.StartsWith(p, StringComparison.Ordinal));
}
