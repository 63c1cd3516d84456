using Attest.Core;
using Attest.Oci;
using Attest.Policy.Admission;
using Attest.Policy.Model;

namespace Attest.Policy.Evaluation;

public sealed record EvaluatorOptions
{
    /// <summary>Admit images no policy covers (off: they are denied, failing closed).</summary>
    public bool AllowUnmatchedImages { get; init; }

    /// <summary>How long a verdict is reused for the same <see cref="VerdictKey"/>. New signatures attached within this
    /// time are seen after it. Zero: never reused (concurrent checks still share one verification).</summary>
    public TimeSpan VerdictTtl { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Verdicts kept at most (see <see cref="VerdictCache"/>).</summary>
    public int MaxCachedVerdicts { get; init; } = 100_000;

    /// <summary>The deadline of shared work (collecting and verifying the evidence of one image digest), which runs
    /// for every request waiting on it and so on none's own deadline.</summary>
    public TimeSpan WorkTimeout { get; init; } = TimeSpan.FromSeconds(8);
}

/// <summary>
/// Decides a workload, as an explicit pipeline per container image: the policies that match it (image glob, namespace,
/// kind) and the digest it is pinned to, then for the image digest <b>collect</b> (<see cref="EvidenceCollector"/>,
/// through an <see cref="IEvidenceSource"/> given the request's credentials), then per policy <b>verify</b>
/// (<see cref="EvidenceVerifier"/>) and <b>judge</b> (<see cref="PolicyJudge"/>): nothing goes back to the registry
/// after collection.
/// <para>Verdicts are cached by everything they depend on (<see cref="VerdictKey"/>: revision with its trust
/// material, canonical repository, digest, credential identity, policy); concurrent checks of one key share one run
/// under its own deadline (<see cref="SingleFlight{TKey,TValue}"/>), and a caller that gives up stops waiting without
/// cancelling the others; a failure that may pass on retry (registry unreachable, a deadline) is never cached.</para>
/// <para>PolicyException waivers depend on the namespace and the time, not on the evidence: they are applied per
/// request to the (possibly cached) outcomes, never cached themselves.</para>
/// </summary>
public sealed class AdmissionEvaluator
{
    private readonly EvidenceCollector _collector;
    private readonly EvidenceVerifier _verifier;
    private readonly PolicyJudge _judge;
    private readonly EvaluatorOptions _options;
    private readonly TimeProvider _time;
    private readonly VerdictCache _verdicts;
    private readonly SingleFlight<VerdictKey, PolicyOutcome> _judging;
    private readonly SingleFlight<EvidenceKey, CollectedEvidence> _collecting;

    public AdmissionEvaluator(IEvidenceSource source, AuthorityVerifier verifier, PolicyJudge judge, TimeProvider time, EvaluatorOptions options,
        EvidenceLimits? limits = null)
    {
        _collector = new EvidenceCollector(source, limits);
        _verifier = new EvidenceVerifier(verifier);
        _judge = judge;
        _options = options;
        _time = time;
        _verdicts = new VerdictCache(time, options.VerdictTtl, options.MaxCachedVerdicts);
        _judging = new(time, "judge");
        _collecting = new(time, "collect");
    }

    /// <summary>Verdicts cached now (for tests and metrics).</summary>
    public int CachedVerdicts => _verdicts.Count;

    /// <summary>Decides <paramref name="images"/> of a workload of <paramref name="kind"/> in <paramref name="namespace"/>,
    /// reading registries with <paramref name="credentials"/> (the workload's pull secrets; null: the configured ones).</summary>
    public async Task<Decision> EvaluateAsync(PolicySet policies, string kind, string? @namespace, IReadOnlyList<ContainerImage> images,
        IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        var decisions = await Task.WhenAll(images.Select(i => EvaluateTracedAsync(policies, kind, @namespace, i, credentials, cancellationToken))).ConfigureAwait(false);
        return new Decision(Decision.Strictest(decisions.Select(d => d.Verdict)), decisions, policies.Revision);
    }

    /// <summary>One span per container image, carrying its verdict.</summary>
    private async Task<ImageDecision> EvaluateTracedAsync(PolicySet policies, string kind, string? @namespace, ContainerImage image,
        IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        using var activity = EvaluationTelemetry.Source.StartActivity("policy.evaluate_image");
        activity?.SetTag("attest.container", image.Container);
        var decision = await EvaluateImageAsync(policies, kind, @namespace, image, credentials, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("attest.verdict", decision.Verdict.ToString().ToLowerInvariant());
        return decision;
    }

    private async Task<ImageDecision> EvaluateImageAsync(PolicySet policies, string kind, string? @namespace, ContainerImage image,
        IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        ImageDecision Deny(Digest? digest, string code, string message, ImageReference? parsed = null) =>
            new(image.Image, image.Container, digest, Verdict.Deny, [], [new Finding(code, message)]) { Reference = parsed };

        if (!ImageReference.TryParse(image.Image, out var reference, out var error))
            return Deny(null, AdmissionCodes.ReferenceInvalid, error);

        List<ImagePolicy> matching;
        using (EvaluationTelemetry.Source.StartActivity("policy.match"))
            matching = policies.ImagePolicies.Where(p => p.Match.Matches(reference.Name, @namespace, kind)).ToList();
        if (matching.Count == 0)
        {
            return _options.AllowUnmatchedImages
                ? new ImageDecision(image.Image, image.Container, reference.Digest, Verdict.Allow, [], []) { Reference = reference }
                : Deny(reference.Digest, AdmissionCodes.NoPolicy,
                    $"no policy covers {reference.Name} in namespace '{@namespace}' for kind {kind}, and unmatched images are denied", reference);
        }
        if (reference.Digest is not { } digest)
            return Deny(null, AdmissionCodes.NotPinned,
                $"the image is given by tag, not by digest, so what is verified might not be what runs (the mutating webhook pins tags; is it installed, and could it reach the registry?)");

        var evidenceKey = EvidenceKey.For(policies.Revision, reference, digest, credentials);
        var plan = new Lazy<CollectionPlan>(() => CollectionPlan.For(policies.ImagePolicies, reference.Name));
        var outcomes = await Task.WhenAll(matching.Select(p =>
            OutcomeAsync(new VerdictKey(evidenceKey, p.Name), p, plan, reference, credentials, cancellationToken))).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        outcomes = [.. outcomes.Select(o => Waive(o, policies.Exceptions, reference.Name, @namespace, now))];
        // A waived enforce failure admits with a warning, as a warn failure does; audit failures are only recorded.
        var verdict = outcomes.Any(o => o.Fails && o.Mode == PolicyMode.Enforce) ? Verdict.Deny
            : outcomes.Any(o => !o.Passed && o.Mode != PolicyMode.Audit) ? Verdict.Warn
            : Verdict.Allow;
        return new ImageDecision(image.Image, image.Container, digest, verdict, outcomes, []) { Reference = reference };
    }

    /// <summary>A failed outcome is waived by the first active exception that covers the image, namespace and policy
    /// and lists every reason code of the failure (or none).</summary>
    private static PolicyOutcome Waive(PolicyOutcome outcome, IReadOnlyList<PolicyException> exceptions, string imageName, string? @namespace, DateTimeOffset now)
    {
        if (outcome.Passed) return outcome;
        var exception = exceptions.FirstOrDefault(e => e.Covers(imageName, @namespace, outcome.Policy, now) && e.Waives(outcome.Reasons.Select(r => r.Code)));
        return exception is null ? outcome : outcome with { WaivedBy = new Waiver(exception.Name, exception.Approver, exception.Reason, exception.Expires) };
    }

    private async Task<PolicyOutcome> OutcomeAsync(VerdictKey key, ImagePolicy policy, Lazy<CollectionPlan> plan, ImageReference reference,
        IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        using var activity = EvaluationTelemetry.Source.StartActivity("policy.outcome");
        activity?.SetTag("attest.policy", policy.Name);
        if (_verdicts.TryGet(key, out var cached))
        {
            activity?.SetTag("attest.verdict_cache", "hit");
            return cached;
        }
        try
        {
            return await _judging.RunAsync(key, token => JudgeAsync(key, policy, plan.Value, reference, credentials, token),
                _options.WorkTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // This caller's deadline passed; the shared run goes on for the others.
            return Failed(policy, new Finding(AdmissionCodes.EvaluationDeadline,
                $"the evidence of {key.Evidence.Digest} was not verified before the admission deadline"));
        }
        catch (OperationCanceledException)
        {
            return Failed(policy, new Finding(RegistryCodes.Timeout, $"the evidence of {key.Evidence.Digest} was not verified before the shared deadline"));
        }
    }

    /// <summary>Collect (shared by every policy of the image), verify, judge; cached when it would come out the same
    /// again, which a failure to collect never is.</summary>
    private async Task<PolicyOutcome> JudgeAsync(VerdictKey key, ImagePolicy policy, CollectionPlan plan, ImageReference reference,
        IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        CollectedEvidence collected;
        try
        {
            collected = await _collecting.RunAsync(key.Evidence,
                token => CollectTracedAsync(reference, key.Evidence.Digest, plan, credentials, token),
                _options.WorkTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e)
        {
            return Failed(policy, new Finding(e.Code, $"signatures of {key.Evidence.Digest} could not be fetched: {e.Message}"));
        }
        catch (OperationCanceledException)
        {
            return Failed(policy, new Finding(RegistryCodes.Timeout, $"signatures of {key.Evidence.Digest} could not be fetched before the deadline"));
        }

        VerifiedImage verified;
        using (EvaluationTelemetry.Source.StartActivity("policy.verify"))
            verified = _verifier.Verify(policy, collected);
        PolicyOutcome outcome;
        using (EvaluationTelemetry.Source.StartActivity("policy.judge"))
            outcome = _judge.Judge(policy, verified);
        _verdicts.Add(key, outcome);
        return outcome;
    }

    /// <summary>Collection as its own span: a child of the request that started the shared run (the others wait on it).</summary>
    private async Task<CollectedEvidence> CollectTracedAsync(ImageReference reference, Digest digest, CollectionPlan plan,
        IRegistryCredentialProvider? credentials, CancellationToken cancellationToken)
    {
        using var activity = EvaluationTelemetry.Source.StartActivity("evidence.collect");
        var collected = await _collector.CollectAsync(reference, digest, plan, credentials, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("attest.evidence.count", collected.Count);
        return collected;
    }

    private static PolicyOutcome Failed(ImagePolicy policy, Finding reason) => new(policy.Name, policy.Mode, false, [reason], []);
}
