using Attest.Core;
using Attest.Policy.Model;

namespace Attest.Policy.Evaluation;

public enum Verdict
{
    Allow,
    Warn,
    Deny,
}

/// <summary>How one policy judged one image digest.</summary>
public sealed record PolicyOutcome(string Policy, PolicyMode Mode, bool Passed, IReadOnlyList<Finding> Reasons, IReadOnlyList<string> SatisfiedBy)
{
    /// <summary>The PolicyException that waives this failure for this request (it then admits with a warning).</summary>
    public Waiver? WaivedBy { get; init; }

    /// <summary>A failure that counts: not passed and not waived.</summary>
    public bool Fails => !Passed && WaivedBy is null;
}

/// <summary>Which exception waived a failure, who approved it, why, and until when.</summary>
public sealed record Waiver(string Exception, string Approver, string Reason, DateTimeOffset Expires)
{
    public override string ToString() => $"exception '{Exception}' (approved by {Approver} until {Expires:yyyy-MM-dd'T'HH:mm'Z'}: {Reason})";
}

/// <summary>The verdict on one container image: which digest, which policies, and why.</summary>
public sealed record ImageDecision(
    string Image,
    string Container,
    Digest? Digest,
    Verdict Verdict,
    IReadOnlyList<PolicyOutcome> Outcomes,
    IReadOnlyList<Finding> Reasons)
{
    /// <summary>The image as parsed (its canonical name is what policies matched); null when it does not parse.</summary>
    public Attest.Oci.ImageReference? Reference { get; init; }

    /// <summary>One sentence per failing check, naming the image, the policy and the cause.</summary>
    public IEnumerable<string> Explain()
    {
        var subject = $"image {Image} (container '{Container}')";
        foreach (var reason in Reasons) yield return $"{subject}: {reason.Message} [{reason.Code}]";
        foreach (var outcome in Outcomes.Where(o => o.Fails))
            foreach (var reason in outcome.Reasons)
                yield return $"{subject} fails policy '{outcome.Policy}' ({outcome.Mode.ToString().ToLowerInvariant()}): {reason.Message} [{reason.Code}]";
    }
}

/// <summary>The decision on a whole workload: the strictest verdict of its images.</summary>
public sealed record Decision(Verdict Verdict, IReadOnlyList<ImageDecision> Images, string PolicyRevision)
{
    public static Verdict Strictest(IEnumerable<Verdict> verdicts) => verdicts.DefaultIfEmpty(Verdict.Allow).Max();
}
