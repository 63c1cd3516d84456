using System.CommandLine;
using Attest.Oci;
using Attest.Policy;
using Attest.Policy.Admission;
using Attest.Policy.Evaluation;

namespace Attest.Cli;

/// <summary>The webhook's decision on one image, made here and explained: a tag is resolved to its digest first (the
/// mutating webhook would pin it), then the admission pipeline collects the image's signatures and attestations from
/// the registry, verifies them and judges each matching policy. Exit 0 admitted (or admitted with a warning),
/// 1 denied.</summary>
internal static class ImageVerdict
{
    public static async Task<int> EvaluateAsync(ParseResult parse, PolicySet set, ImageReference reference, RegistryClient registry, string kind, string? @namespace,
        CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        if (reference.Digest is null)
        {
            try
            {
                var digest = await registry.ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
                output.WriteLine($"{reference} resolves to {digest}");
                reference = reference.WithDigest(digest);
            }
            catch (RegistryException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"attest: {reference} cannot be resolved: {e.Message} [{e.Code}]");
                return AttestCommand.ExitCodes.Findings;
            }
        }

        var time = TimeProvider.System;
        var evaluator = new AdmissionEvaluator(new RegistryEvidenceSource(registry), new AuthorityVerifier(time), new PolicyJudge(time), time, new EvaluatorOptions());
        var container = new ContainerImage(reference.ToString(), "/spec/containers/0/image", "test", "containers");
        var decision = await evaluator.EvaluateAsync(set, kind, @namespace, [container], null, cancellationToken).ConfigureAwait(false);
        var imageDecision = decision.Images[0];
        foreach (var reason in imageDecision.Reasons) output.WriteLine($"  [{reason.Code}] {reason.Message}");
        foreach (var outcome in imageDecision.Outcomes)
        {
            output.WriteLine($"policy '{outcome.Policy}' ({outcome.Mode.ToString().ToLowerInvariant()}): {(outcome.Passed ? "pass" : outcome.WaivedBy is { } waiver ? $"fail, waived by {waiver}" : "fail")}");
            foreach (var satisfied in outcome.SatisfiedBy) output.WriteLine($"  + {satisfied}");
            foreach (var reason in outcome.Reasons) output.WriteLine($"  - [{reason.Code}] {reason.Message}");
        }
        output.WriteLine($"verdict: {decision.Verdict.ToString().ToLowerInvariant()} (policy revision {set.Revision})");
        return decision.Verdict == Verdict.Deny ? AttestCommand.ExitCodes.Findings : AttestCommand.ExitCodes.Success;
    }
}
