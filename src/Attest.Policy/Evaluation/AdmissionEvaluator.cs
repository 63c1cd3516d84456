using System.Collections.Concurrent;
using Attest.Core;
using Attest.Oci;
using Attest.Policy.Admission;
using Attest.Policy.Model;

namespace Attest.Policy.Evaluation;

public sealed record EvaluatorOptions
{
    /// <summary>Admit images no policy covers (off: they are denied, failing closed).</summary>
    public bool AllowUnmatchedImages { get; init; }

    /// <summary>How long a verdict is reused for the same policy revision, digest and policy. New signatures
    /// attached within this time are seen after it.</summary>
    public TimeSpan VerdictTtl { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Verdicts kept at most; past this, expired ones are swept, and if that is not enough the cache starts
    /// over (it is an optimization: memory stays bounded whatever images the cluster runs).</summary>
    public int MaxCachedVerdicts { get; init; } = 100_000;
}

/// <summary>
/// Decides a workload: for each container image, the policies that match it (image glob, namespace, kind), the
/// digest it is pinned to, the signatures and attestations attached to that digest, and each policy's verdict.
/// Verdicts are cached by (policy revision, digest, policy); concurrent checks of one key share one verification;
/// a failure that may pass on retry (registry unreachable, timeout) is never cached.
/// </summary>
public sealed class AdmissionEvaluator(
    EvidenceCollector collector, AuthorityVerifier verifier, PolicyChecker checker, TimeProvider time, EvaluatorOptions options)
{
    private readonly ConcurrentDictionary<(string Revision, Digest Digest, string Policy), CacheEntry> _verdicts = new();
    private readonly ConcurrentDictionary<Digest, Lazy<Task<CollectedEvidence>>> _collecting = new();

    public async Task<Decision> EvaluateAsync(
        PolicySet policies, string kind, string? @namespace, IReadOnlyList<ContainerImage> images, CancellationToken cancellationToken)
    {
        var decisions = await Task.WhenAll(images.Select(i => EvaluateImageAsync(policies, kind, @namespace, i, cancellationToken))).ConfigureAwait(false);
        return new Decision(Decision.Strictest(decisions.Select(d => d.Verdict)), decisions, policies.Revision);
    }

    private async Task<ImageDecision> EvaluateImageAsync(
        PolicySet policies, string kind, string? @namespace, ContainerImage image, CancellationToken cancellationToken)
    {
        ImageDecision Deny(Digest? digest, string code, string message) =>
            new(image.Image, image.Container, digest, Verdict.Deny, [], [new Finding(code, message)]);

        if (!ImageReference.TryParse(image.Image, out var reference, out var error))
            return Deny(null, AdmissionCodes.ReferenceInvalid, error);

        var matching = policies.ImagePolicies.Where(p => p.Match.Matches(reference.Name, @namespace, kind)).ToList();
        if (matching.Count == 0)
        {
            return options.AllowUnmatchedImages
                ? new ImageDecision(image.Image, image.Container, reference.Digest, Verdict.Allow, [], [])
                : Deny(reference.Digest, AdmissionCodes.NoPolicy,
                    $"no policy covers {reference.Name} in namespace '{@namespace}' for kind {kind}, and unmatched images are denied");
        }
        if (reference.Digest is not { } digest)
            return Deny(null, AdmissionCodes.NotPinned,
                $"the image is given by tag, not by digest, so what is verified might not be what runs (the mutating webhook pins tags; is it installed, and could it reach the registry?)");

        var outcomes = await Task.WhenAll(matching.Select(p => OutcomeAsync(policies.Revision, p, reference, digest, cancellationToken))).ConfigureAwait(false);
        // Exceptions depend on the namespace and the time, so they apply per request, after the (cached) verdicts.
        var now = time.GetUtcNow();
        outcomes = outcomes.Select(o => Waive(o, policies.Exceptions, reference.Name, @namespace, now)).ToArray();
        var verdict = outcomes.Any(o => o.Fails && o.Mode == PolicyMode.Enforce) ? Verdict.Deny
            : outcomes.Any(o => !o.Passed && o.Mode != PolicyMode.Audit) ? Verdict.Warn
            : Verdict.Allow;
        return new ImageDecision(image.Image, image.Container, digest, verdict, outcomes, []);
    }

    /// <summary>A failed outcome is waived by the first active exception that covers the image, namespace and policy
    /// and lists every reason code of the failure (or none).</summary>
    private static PolicyOutcome Waive(PolicyOutcome outcome, IReadOnlyList<PolicyException> exceptions, string imageName, string? @namespace, DateTimeOffset now)
    {
        if (outcome.Passed) return outcome;
        var exception = exceptions.FirstOrDefault(e => e.Covers(imageName, @namespace, outcome.Policy, now) && e.Waives(outcome.Reasons.Select(r => r.Code)));
        return exception is null ? outcome : outcome with { WaivedBy = new Waiver(exception.Name, exception.Approver, exception.Reason, exception.Expires) };
    }

    private async Task<PolicyOutcome> OutcomeAsync(string revision, ImagePolicy policy, ImageReference reference, Digest digest, CancellationToken cancellationToken)
    {
        var key = (revision, digest, policy.Name);
        var now = time.GetUtcNow();
        if (_verdicts.Count >= options.MaxCachedVerdicts) Sweep(now);
        var entry = _verdicts.AddOrUpdate(key,
            _ => CacheEntry.Start(() => ComputeAsync(policy, reference, digest, cancellationToken), now + options.VerdictTtl),
            (_, existing) => existing.ExpiresAt > now && !existing.Failed
                ? existing
                : CacheEntry.Start(() => ComputeAsync(policy, reference, digest, cancellationToken), now + options.VerdictTtl));
        var (outcome, cacheable) = await entry.Work.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!cacheable) _verdicts.TryRemove(new KeyValuePair<(string, Digest, string), CacheEntry>(key, entry));
        return outcome;
    }

    private async Task<(PolicyOutcome Outcome, bool Cacheable)> ComputeAsync(
        ImagePolicy policy, ImageReference reference, Digest digest, CancellationToken cancellationToken)
    {
        CollectedEvidence collected;
        try
        {
            collected = await CollectOnceAsync(reference, digest, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e)
        {
            var reason = new Finding(e.Code, $"signatures of {digest} could not be fetched: {e.Message}");
            return (new PolicyOutcome(policy.Name, policy.Mode, false, [reason], []), false);
        }
        catch (OperationCanceledException)
        {
            var reason = new Finding(RegistryCodes.Timeout, $"signatures of {digest} could not be fetched before the admission deadline");
            return (new PolicyOutcome(policy.Name, policy.Mode, false, [reason], []), false);
        }

        var outcome = checker.Check(policy, Verify(policy, collected, digest), digest);
        if (policy.Platforms is { } platforms)
        {
            List<Finding> platformReasons;
            try
            {
                platformReasons = await CheckPlatformsAsync(policy, platforms, reference, digest, cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e)
            {
                var reason = new Finding(e.Code, $"the platform manifests of {digest} could not be fetched: {e.Message}");
                return (outcome with { Passed = false, Reasons = [.. outcome.Reasons, reason] }, false);
            }
            catch (OperationCanceledException)
            {
                var reason = new Finding(RegistryCodes.Timeout, $"the platform manifests of {digest} could not be fetched before the admission deadline");
                return (outcome with { Passed = false, Reasons = [.. outcome.Reasons, reason] }, false);
            }
            if (platformReasons.Count > 0) outcome = outcome with { Passed = false, Reasons = [.. outcome.Reasons, .. platformReasons] };
            else if (outcome.Passed) outcome = outcome with { SatisfiedBy = [.. outcome.SatisfiedBy, $"platforms [{string.Join(", ", platforms.Required)}]{(platforms.Signed ? " signed" : "")}"] };
        }
        return (outcome, true);
    }

    /// <summary>The index must list each required platform; with <c>signed</c>, each platform manifest must meet the
    /// policy's signature requirement on its own digest (its evidence is collected and verified like the index's).</summary>
    private async Task<List<Finding>> CheckPlatformsAsync(
        ImagePolicy policy, PlatformRequirement platforms, ImageReference reference, Digest digest, CancellationToken cancellationToken)
    {
        var reasons = new List<Finding>();
        var manifest = await collector.GetManifestAsync(reference, digest, cancellationToken).ConfigureAwait(false);
        var required = string.Join(", ", platforms.Required);
        if (!manifest.IsIndex)
        {
            reasons.Add(new Finding(AdmissionCodes.PlatformNotIndex,
                $"{digest} is a single-platform manifest, not an index, but the policy requires the platforms [{required}]"));
            return reasons;
        }
        var found = new List<(PlatformName Platform, Digest Digest)>();
        foreach (var platform in platforms.Required)
        {
            var descriptor = manifest.Manifests.FirstOrDefault(m => m.Platform is { } p && platform.Matches(p.Os, p.Architecture, p.Variant));
            if (descriptor is null)
            {
                var offered = manifest.Manifests.Where(m => m.Platform is not null).Select(m => m.Platform!.ToString()).Distinct().ToList();
                reasons.Add(new Finding(AdmissionCodes.PlatformMissing,
                    $"the index {digest} has no manifest for platform {platform} (it offers [{string.Join(", ", offered)}])"));
            }
            else
            {
                found.Add((platform, descriptor.Digest));
            }
        }
        if (!platforms.Signed || policy.Signatures is not { } signatures) return reasons;

        var checks = await Task.WhenAll(found.Select(async f =>
        {
            var collected = await CollectOnceAsync(reference, f.Digest, cancellationToken).ConfigureAwait(false);
            return (f.Platform, f.Digest, Reasons: checker.CheckSignatures(signatures, Verify(policy, collected, f.Digest), f.Digest));
        })).ConfigureAwait(false);
        foreach (var (platform, platformDigest, platformReasons) in checks)
            foreach (var reason in platformReasons)
                reasons.Add(new Finding(AdmissionCodes.PlatformUnsigned, $"platform {platform} ({platformDigest}): {reason.Message} [{reason.Code}]", reason.Evidence));
        return reasons;
    }

    /// <summary>Verifies everything collected for a digest against each authority of the policy.</summary>
    private PolicyEvidence Verify(ImagePolicy policy, CollectedEvidence collected, Digest digest)
    {
        var verified = new List<VerifiedEvidence>();
        var unverifiedTypes = new List<string>();
        var firstFailure = new Dictionary<string, Finding>(StringComparer.Ordinal);
        foreach (var found in collected.Bundles)
        {
            var (bundle, parseFailure, statement, statementBytes) = found.Parsed;
            if (bundle is null)
            {
                foreach (var name in policy.Authorities.Keys) firstFailure.TryAdd(name, parseFailure!);
                continue;
            }
            var anyVerified = false;
            foreach (var authority in policy.Authorities.Values.Where(a => a is not NotationAuthority))
            {
                var result = verifier.Verify(authority, bundle, digest);
                if (result.Verified)
                {
                    verified.Add(new VerifiedEvidence(authority.Name, found.Source, statement, statementBytes));
                    anyVerified = true;
                }
                else
                {
                    firstFailure.TryAdd(authority.Name, result.Failure!);
                }
            }
            if (!anyVerified && statement is not null) unverifiedTypes.Add(statement.PredicateType);
        }

        foreach (var legacy in collected.LegacySignatures)
        {
            foreach (var authority in policy.Authorities.Values.Where(a => a is not NotationAuthority))
            {
                var result = verifier.VerifyLegacy(authority, legacy.Signature, digest);
                if (result.Verified) verified.Add(new VerifiedEvidence(authority.Name, legacy.Source, null, null));
                else firstFailure.TryAdd(authority.Name, result.Failure!);
            }
        }

        foreach (var legacy in collected.LegacyAttestations)
        {
            var anyVerified = false;
            foreach (var authority in policy.Authorities.Values.Where(a => a is not NotationAuthority))
            {
                var result = verifier.VerifyLegacyAttestation(authority, legacy.Attestation, digest);
                if (result.Verified)
                {
                    verified.Add(new VerifiedEvidence(authority.Name, legacy.Source, legacy.Statement, legacy.StatementBytes));
                    anyVerified = true;
                }
                else
                {
                    firstFailure.TryAdd(authority.Name, result.Failure!);
                }
            }
            if (!anyVerified && legacy.Statement is not null) unverifiedTypes.Add(legacy.Statement.PredicateType);
        }

        var notes = new List<string>();
        foreach (var signature in collected.NotationSignatures)
        {
            foreach (var authority in policy.Authorities.Values)
            {
                if (authority is not NotationAuthority notation)
                {
                    firstFailure.TryAdd(authority.Name, new Finding(AdmissionCodes.SignatureUntrusted, $"{signature.Source} is a Notary signature; '{authority.Name}' is not a Notary authority"));
                    continue;
                }
                var result = verifier.VerifyNotation(notation, signature);
                if (result.Verified)
                {
                    verified.Add(new VerifiedEvidence(authority.Name, signature.Source, null, null));
                    foreach (var logged in result.Logged) notes.Add($"{authority.Name}: {signature.Source} verified at level {notation.TrustPolicy.Level.Name}, which only logs: {logged.Message} [{logged.Code}]");
                }
                else
                {
                    firstFailure.TryAdd(authority.Name, result.Failure!);
                }
            }
        }

        return new PolicyEvidence(collected.Count, verified, unverifiedTypes, firstFailure, collected.Problems) { Notes = notes };
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, entry) in _verdicts)
            if (entry.ExpiresAt <= now || entry.Failed) _verdicts.TryRemove(new KeyValuePair<(string, Digest, string), CacheEntry>(key, entry));
        if (_verdicts.Count >= options.MaxCachedVerdicts) _verdicts.Clear();
    }

    /// <summary>Registry discovery for a digest runs once even when several policies and requests ask at the same time.</summary>
    private async Task<CollectedEvidence> CollectOnceAsync(ImageReference reference, Digest digest, CancellationToken cancellationToken)
    {
        var lazy = _collecting.GetOrAdd(digest, _ => new Lazy<Task<CollectedEvidence>>(() => collector.CollectAsync(reference, digest, cancellationToken)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _collecting.TryRemove(new KeyValuePair<Digest, Lazy<Task<CollectedEvidence>>>(digest, lazy));
        }
    }

    private sealed class CacheEntry
    {
        private CacheEntry(Lazy<Task<(PolicyOutcome, bool)>> work, DateTimeOffset expiresAt)
        {
            Work = work;
            ExpiresAt = expiresAt;
        }

        public Lazy<Task<(PolicyOutcome Outcome, bool Cacheable)>> Work { get; }

        public DateTimeOffset ExpiresAt { get; }

        /// <summary>Finished with a result that must not be reused.</summary>
        public bool Failed => Work.IsValueCreated && Work.Value.IsCompleted && (!Work.Value.IsCompletedSuccessfully || !Work.Value.Result.Cacheable);

        public static CacheEntry Start(Func<Task<(PolicyOutcome, bool)>> compute, DateTimeOffset expiresAt) =>
            new(new Lazy<Task<(PolicyOutcome, bool)>>(compute), expiresAt);
    }
}
