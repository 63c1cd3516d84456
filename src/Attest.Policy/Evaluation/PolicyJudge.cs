using Attest.Core;
using Attest.Policy.Model;
using Attest.Sbom.Checks;
using Attest.Sbom.Reading;

namespace Attest.Policy.Evaluation;

/// <summary>
/// The judge stage: one image policy against what verification established, nothing else (no registry: platforms are
/// judged on the collected index and the verified evidence of its platform manifests): signatures, attestations and
/// their conditions (JSON pointer or CEL), platforms, and the vulnerability gate. Each failing requirement gives
/// one reason that says what was required and what was found, with the findings it follows from as its causes.
/// </summary>
public sealed class PolicyJudge(TimeProvider time)
{
    private readonly SbomChecker _sbom = new(time);
    private readonly VulnerabilityGate _vulnerabilities = new(time);

    public PolicyOutcome Judge(ImagePolicy policy, VerifiedImage image)
    {
        var reasons = new List<Finding>();
        var satisfiedBy = new List<string>();
        var evidence = image.Evidence;
        if (policy.Signatures is { } signatures) JudgeSignatures(signatures, evidence, image.Digest, reasons, satisfiedBy);
        foreach (var requirement in policy.Attestations) JudgeAttestation(requirement, evidence, image.Digest, reasons, satisfiedBy);
        if (policy.Platforms is { } platforms) JudgePlatforms(policy, platforms, image, reasons, satisfiedBy);
        if (policy.Vulnerabilities is { } vulnerabilities) _vulnerabilities.Judge(vulnerabilities, evidence, image.Digest, reasons, satisfiedBy);
        satisfiedBy.AddRange(evidence.Notes);
        // Evidence that could not be read, or was left unexamined, may be why the policy failed: say so instead of dropping it.
        if (reasons.Count > 0) reasons.AddRange(evidence.DiscoveryProblems);
        return new PolicyOutcome(policy.Name, policy.Mode, reasons.Count == 0, reasons, satisfiedBy);
    }

    private static void JudgeSignatures(SignatureRequirement requirement, PolicyEvidence evidence, Digest digest, List<Finding> reasons, List<string> satisfiedBy)
    {
        var signers = evidence.Verified.Where(v => v.IsSignature && requirement.AuthorityNames.Contains(v.Authority))
            .Select(v => v.Authority).Distinct(StringComparer.Ordinal).ToList();
        if (signers.Count >= requirement.Threshold)
        {
            satisfiedBy.AddRange(signers.Select(s => $"signature by {s}"));
            return;
        }
        var needed = $"{requirement.Threshold} of [{string.Join(", ", requirement.AuthorityNames)}]";
        if (evidence.EvidenceFound == 0)
        {
            reasons.Add(new Finding(AdmissionCodes.SignatureNone,
                $"the image is not signed: no Sigstore bundle, cosign or Notary signature is attached to {digest} (policy needs signatures from {needed})"));
            return;
        }
        if (signers.Count == 0)
        {
            var why = requirement.AuthorityNames
                .Select(a => evidence.FirstFailureByAuthority.TryGetValue(a, out var f) ? $"{a}: {f.Message} [{f.Code}]" : $"{a}: no signature bundle from it");
            var causes = requirement.AuthorityNames.Where(evidence.FirstFailureByAuthority.ContainsKey)
                .Select(a => evidence.FirstFailureByAuthority[a] with { Evidence = With(evidence.FirstFailureByAuthority[a].Evidence, "authority", a) });
            reasons.Add(new Finding(AdmissionCodes.SignatureUntrusted,
                $"{evidence.EvidenceFound} signature(s) attached, none verifies for the required authorities ({string.Join("; ", why)})").CausedBy(causes));
            return;
        }
        reasons.Add(new Finding(AdmissionCodes.SignatureThreshold, $"signed by [{string.Join(", ", signers)}] but the policy needs {needed}"));
    }

    private void JudgeAttestation(AttestationRequirement requirement, PolicyEvidence evidence, Digest digest, List<Finding> reasons, List<string> satisfiedBy)
    {
        var ofType = evidence.Verified.Where(v => v.Statement is { } s && s.PredicateType.StartsWith(requirement.PredicateType, StringComparison.Ordinal)).ToList();
        var trusted = ofType.Where(v => requirement.AuthorityNames.Contains(v.Authority)).ToList();
        if (trusted.Count == 0)
        {
            var present = ofType.Count > 0 || evidence.UnverifiedPredicateTypes.Any(t => t.StartsWith(requirement.PredicateType, StringComparison.Ordinal));
            var causes = requirement.AuthorityNames.Where(evidence.FirstFailureByAuthority.ContainsKey)
                .Select(a => evidence.FirstFailureByAuthority[a] with { Evidence = With(evidence.FirstFailureByAuthority[a].Evidence, "authority", a) });
            reasons.Add(present
                ? new Finding(AdmissionCodes.AttestationUntrusted,
                    $"attestation '{requirement.Name}' ({requirement.PredicateType}) is attached but not signed by [{string.Join(", ", requirement.AuthorityNames)}]").CausedBy(causes)
                : new Finding(AdmissionCodes.AttestationMissing,
                    $"attestation '{requirement.Name}' ({requirement.PredicateType}) is missing: none attached to {digest}"));
            return;
        }

        // One trusted attestation meeting every condition suffices; otherwise report the first one's failures.
        List<Finding>? firstFailures = null;
        foreach (var candidate in trusted)
        {
            var failures = JudgePredicate(requirement, candidate, digest);
            if (failures.Count == 0)
            {
                satisfiedBy.Add($"attestation {requirement.Name} by {candidate.Authority}");
                return;
            }
            firstFailures ??= failures;
        }
        reasons.AddRange(firstFailures!);
    }

    private List<Finding> JudgePredicate(AttestationRequirement requirement, VerifiedEvidence attestation, Digest digest)
    {
        var failures = new List<Finding>();
        var statement = attestation.Statement!;
        var input = new ConditionInput(statement.Predicate, statement.PredicateType, requirement.Name, digest, time.GetUtcNow());
        foreach (var condition in requirement.Conditions)
            if (condition.Check(input) is { } failure) failures.Add(failure);
        if (requirement.Sbom is { } sbomPolicy)
        {
            var read = SbomReader.Read(attestation.StatementBytes);
            foreach (var finding in _sbom.Check(read, sbomPolicy, digest))
                failures.Add(new Finding(AdmissionCodes.AttestationSbom, $"attestation '{requirement.Name}': {finding.Message} [{finding.Code}]", finding.Evidence).CausedBy(finding));
        }
        return failures;
    }

    /// <summary>The index must list each required platform; with <c>signed</c>, each platform manifest must meet the
    /// policy's signature requirement on its own digest.</summary>
    private static void JudgePlatforms(ImagePolicy policy, PlatformRequirement platforms, VerifiedImage image, List<Finding> reasons, List<string> satisfiedBy)
    {
        var before = reasons.Count;
        var required = string.Join(", ", platforms.Required);
        if (image.Manifest is not { } manifest)
            throw new InvalidOperationException("platforms are judged on the collected manifest; the collection plan must ask for it");
        if (!manifest.IsIndex)
        {
            reasons.Add(new Finding(AdmissionCodes.PlatformNotIndex,
                $"{image.Digest} is a single-platform manifest, not an index, but the policy requires the platforms [{required}]"));
            return;
        }
        var found = new List<(PlatformName Platform, Digest Digest)>();
        foreach (var platform in platforms.Required)
        {
            var descriptor = manifest.Manifests.FirstOrDefault(m => m.Platform is { } p && platform.Matches(p.Os, p.Architecture, p.Variant));
            if (descriptor is null)
            {
                var offered = manifest.Manifests.Where(m => m.Platform is not null).Select(m => m.Platform!.ToString()).Distinct().ToList();
                reasons.Add(new Finding(AdmissionCodes.PlatformMissing,
                    $"the index {image.Digest} has no manifest for platform {platform} (it offers [{string.Join(", ", offered)}])"));
            }
            else
            {
                found.Add((platform, descriptor.Digest));
            }
        }
        if (platforms.Signed && policy.Signatures is { } signatures)
        {
            foreach (var (platform, digest) in found)
            {
                var platformReasons = new List<Finding>();
                if (image.Platforms.TryGetValue(digest, out var evidence)) JudgeSignatures(signatures, evidence, digest, platformReasons, []);
                else platformReasons.Add(new Finding(AdmissionCodes.EvidenceUnexamined, $"the evidence of platform {platform} ({digest}) was not collected (more platforms than the bounds allow)"));
                foreach (var reason in platformReasons)
                    reasons.Add(new Finding(AdmissionCodes.PlatformUnsigned, $"platform {platform} ({digest}): {reason.Message} [{reason.Code}]", reason.Evidence).CausedBy(reason));
            }
        }
        if (reasons.Count == before)
            satisfiedBy.Add($"platforms [{required}]{(platforms.Signed ? " signed" : "")}");
    }

    private static Dictionary<string, string> With(IReadOnlyDictionary<string, string>? evidence, string key, string value) =>
        new(evidence ?? new Dictionary<string, string>()) { [key] = value };
}
