using System.Text.Json;
using Attest.Core;
using Attest.Policy.Model;
using Attest.Sbom.Checks;
using Attest.Sbom.Reading;

namespace Attest.Policy.Evaluation;

/// <summary>Everything verification established about one image digest, for one policy's authorities.</summary>
public sealed record PolicyEvidence(
    int BundlesFound,
    IReadOnlyList<VerifiedEvidence> Verified,
    IReadOnlyList<string> UnverifiedPredicateTypes,
    IReadOnlyDictionary<string, Finding> FirstFailureByAuthority,
    IReadOnlyList<Finding> DiscoveryProblems)
{
    /// <summary>What verification only logged (a Notary verification level that logs instead of enforcing).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>Judges one image policy against verified evidence. Each failing requirement gives one reason that says
/// what was required, what was found, and why it did not count.</summary>
public sealed class PolicyChecker(TimeProvider time)
{
    private readonly SbomChecker _sbom = new(time);
    private readonly VulnerabilityGate _vulnerabilities = new(time);

    public PolicyOutcome Check(ImagePolicy policy, PolicyEvidence evidence, Digest digest)
    {
        var reasons = new List<Finding>();
        var satisfiedBy = new List<string>();
        if (policy.Signatures is { } signatures) CheckSignatures(signatures, evidence, digest, reasons, satisfiedBy);
        foreach (var requirement in policy.Attestations) CheckAttestation(requirement, evidence, digest, reasons, satisfiedBy);
        if (policy.Vulnerabilities is { } vulnerabilities) _vulnerabilities.Check(vulnerabilities, evidence, digest, reasons, satisfiedBy);
        satisfiedBy.AddRange(evidence.Notes);
        // Evidence that could not be read may be why the policy failed: say so instead of dropping it.
        if (reasons.Count > 0) reasons.AddRange(evidence.DiscoveryProblems);
        return new PolicyOutcome(policy.Name, policy.Mode, reasons.Count == 0, reasons, satisfiedBy);
    }

    /// <summary>Only the signature requirement, for another digest than the image's (a platform manifest of an index).</summary>
    public IReadOnlyList<Finding> CheckSignatures(SignatureRequirement requirement, PolicyEvidence evidence, Digest digest)
    {
        var reasons = new List<Finding>();
        CheckSignatures(requirement, evidence, digest, reasons, []);
        return reasons;
    }

    private static void CheckSignatures(SignatureRequirement requirement, PolicyEvidence evidence, Digest digest, List<Finding> reasons, List<string> satisfiedBy)
    {
        var signers = evidence.Verified.Where(v => v.IsSignature && requirement.AuthorityNames.Contains(v.Authority))
            .Select(v => v.Authority).Distinct(StringComparer.Ordinal).ToList();
        if (signers.Count >= requirement.Threshold)
        {
            satisfiedBy.AddRange(signers.Select(s => $"signature by {s}"));
            return;
        }
        var needed = $"{requirement.Threshold} of [{string.Join(", ", requirement.AuthorityNames)}]";
        if (evidence.BundlesFound == 0)
        {
            reasons.Add(new Finding(AdmissionCodes.SignatureNone,
                $"the image is not signed: no Sigstore bundle, cosign or Notary signature is attached to {digest} (policy needs signatures from {needed})"));
            return;
        }
        if (signers.Count == 0)
        {
            var why = requirement.AuthorityNames
                .Select(a => evidence.FirstFailureByAuthority.TryGetValue(a, out var f) ? $"{a}: {f.Message} [{f.Code}]" : $"{a}: no signature bundle from it")
                .ToList();
            reasons.Add(new Finding(AdmissionCodes.SignatureUntrusted,
                $"{evidence.BundlesFound} signature(s) attached, none verifies for the required authorities ({string.Join("; ", why)})"));
            return;
        }
        reasons.Add(new Finding(AdmissionCodes.SignatureThreshold,
            $"signed by [{string.Join(", ", signers)}] but the policy needs {needed}"));
    }

    private void CheckAttestation(AttestationRequirement requirement, PolicyEvidence evidence, Digest digest, List<Finding> reasons, List<string> satisfiedBy)
    {
        var ofType = evidence.Verified.Where(v => v.Statement is { } s && s.PredicateType.StartsWith(requirement.PredicateType, StringComparison.Ordinal)).ToList();
        var trusted = ofType.Where(v => requirement.AuthorityNames.Contains(v.Authority)).ToList();
        if (trusted.Count == 0)
        {
            var present = ofType.Count > 0 || evidence.UnverifiedPredicateTypes.Any(t => t.StartsWith(requirement.PredicateType, StringComparison.Ordinal));
            reasons.Add(present
                ? new Finding(AdmissionCodes.AttestationUntrusted,
                    $"attestation '{requirement.Name}' ({requirement.PredicateType}) is attached but not signed by [{string.Join(", ", requirement.AuthorityNames)}]")
                : new Finding(AdmissionCodes.AttestationMissing,
                    $"attestation '{requirement.Name}' ({requirement.PredicateType}) is missing: none attached to {digest}"));
            return;
        }

        // One trusted attestation meeting every condition suffices; otherwise report the first one's failures.
        List<Finding>? firstFailures = null;
        foreach (var candidate in trusted)
        {
            var failures = CheckPredicate(requirement, candidate, digest);
            if (failures.Count == 0)
            {
                satisfiedBy.Add($"attestation {requirement.Name} by {candidate.Authority}");
                return;
            }
            firstFailures ??= failures;
        }
        reasons.AddRange(firstFailures!);
    }

    private List<Finding> CheckPredicate(AttestationRequirement requirement, VerifiedEvidence attestation, Digest digest)
    {
        var failures = new List<Finding>();
        var predicate = attestation.Statement!.Predicate;
        foreach (var condition in requirement.Conditions)
        {
            if (condition.Operator == ConditionOperator.Cel)
            {
                if (CelConditions.Check(condition, requirement, attestation, digest, time) is { } celFailure) failures.Add(celFailure);
                continue;
            }
            var found = predicate is { } p && JsonPointer.TryResolve(p, condition.Path, out var value) ? value : (JsonElement?)null;
            var text = found is { } f ? JsonPointer.ScalarText(f) : null;
            var ok = condition.Operator switch
            {
                ConditionOperator.Exists => found is not null,
                ConditionOperator.Equals => text == condition.Value,
                ConditionOperator.Matches => text is not null && condition.Pattern!.IsMatch(text),
                _ => text is not null && condition.Values!.Contains(text),
            };
            if (!ok)
                failures.Add(new Finding(AdmissionCodes.AttestationCondition,
                    $"attestation '{requirement.Name}': {condition} is not met (found {(found is null ? "nothing" : Shorten(text ?? found.Value.GetRawText()))})"));
        }
        if (requirement.Sbom is { } sbomPolicy)
        {
            var read = SbomReader.Read(attestation.StatementBytes);
            foreach (var finding in _sbom.Check(read, sbomPolicy, digest))
                failures.Add(new Finding(AdmissionCodes.AttestationSbom, $"attestation '{requirement.Name}': {finding.Message} [{finding.Code}]", finding.Evidence));
        }
        return failures;
    }

    private static string Shorten(string text) => text.Length <= 120 ? $"'{text}'" : $"'{text[..120]}…'";
}
