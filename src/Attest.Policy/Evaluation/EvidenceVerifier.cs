using Attest.Core;
using Attest.Policy.Model;

namespace Attest.Policy.Evaluation;

/// <summary>Everything verification established about one digest, for one policy's authorities.</summary>
public sealed record PolicyEvidence(
    int EvidenceFound,
    IReadOnlyList<VerifiedEvidence> Verified,
    IReadOnlyList<string> UnverifiedPredicateTypes,
    IReadOnlyDictionary<string, Finding> FirstFailureByAuthority,
    IReadOnlyList<Finding> DiscoveryProblems)
{
    /// <summary>What verification of counted evidence only logged (a Notary verification level below strict).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>What one policy is judged on: the image digest's verified evidence and, when the policy checks platforms,
/// the index and the verified evidence of each platform manifest whose signature it requires.</summary>
public sealed record VerifiedImage(
    Digest Digest,
    PolicyEvidence Evidence,
    Oci.Manifest? Manifest,
    IReadOnlyDictionary<Digest, PolicyEvidence> Platforms);

/// <summary>
/// The verify stage: checks collected evidence against each authority of one policy. Evidence whose signer cannot be
/// the authority (a certificate for a key authority, another identity for a keyless one) is set aside without any
/// cryptography, so a pile of junk signatures costs almost nothing and cannot crowd out the one that matters; what
/// could be from the authority is fully verified.
/// </summary>
public sealed class EvidenceVerifier(AuthorityVerifier verifier)
{
    public VerifiedImage Verify(ImagePolicy policy, CollectedEvidence collected)
    {
        var platforms = new Dictionary<Digest, PolicyEvidence>();
        if (policy.Platforms is { Signed: true })
            foreach (var (digest, child) in collected.Platforms)
                platforms[digest] = VerifyDigest(policy, child);
        return new VerifiedImage(collected.Subject, VerifyDigest(policy, collected), collected.Manifest, platforms);
    }

    private PolicyEvidence VerifyDigest(ImagePolicy policy, CollectedEvidence collected)
    {
        var verified = new List<VerifiedEvidence>();
        var unverifiedTypes = new List<string>();
        var notes = new List<string>();
        // Per authority, the most telling failure: one from evidence that could have been its own beats "someone else signed".
        var firstFailure = new Dictionary<string, (Finding Finding, bool FromCandidate)>(StringComparer.Ordinal);
        void Fail(Authority authority, Finding finding, bool fromCandidate)
        {
            if (!firstFailure.TryGetValue(authority.Name, out var known) || (fromCandidate && !known.FromCandidate))
                firstFailure[authority.Name] = (finding, fromCandidate);
        }

        foreach (var item in collected.Items)
        {
            if (item is FoundBundle { Parsed.Failure: { } unparsable })
            {
                foreach (var authority in policy.Authorities.Values) Fail(authority, unparsable, fromCandidate: true);
                continue;
            }
            var anyVerified = false;
            foreach (var authority in policy.Authorities.Values)
            {
                if (!verifier.CouldBeFrom(authority, item))
                {
                    Fail(authority, new Finding(AdmissionCodes.SignatureOtherSigner,
                        $"{item.Source} is signed by {item.Signer}, which authority '{authority.Name}' cannot be"), fromCandidate: false);
                    continue;
                }
                var result = verifier.Verify(authority, item, collected.Subject);
                if (result.Verified)
                {
                    verified.Add(new VerifiedEvidence(authority.Name, item.Source, item.Statement, item.StatementBytes));
                    notes.AddRange(result.Logged.Select(l => $"{authority.Name}: {item.Source} verified, but {l.Message} [{l.Code}]"));
                    anyVerified = true;
                }
                else
                {
                    Fail(authority, result.Failure!, fromCandidate: true);
                }
            }
            if (!anyVerified && item.Statement is { } statement) unverifiedTypes.Add(statement.PredicateType);
        }
        return new PolicyEvidence(collected.Count, verified, unverifiedTypes,
            firstFailure.ToDictionary(f => f.Key, f => f.Value.Finding, StringComparer.Ordinal), collected.Problems) { Notes = notes };
    }
}
