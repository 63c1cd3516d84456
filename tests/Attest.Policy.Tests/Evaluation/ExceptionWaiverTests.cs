using System.Globalization;
using Attest.Policy.Evaluation;
using Attest.Policy.Model;

namespace Attest.Policy.Tests.Evaluation;

/// <summary>PolicyException waivers in the pipeline: they depend on the namespace and the time, so they are applied per
/// request to the cached verdict and never cached with it.</summary>
public sealed class ExceptionWaiverTests : IDisposable
{
    private readonly EvaluatorRig _rig = new();

    public void Dispose() => _rig.Dispose();

    private PolicySet PoliciesWithException(TimeSpan lifetime, string reasons = "[signature.none]") =>
        _rig.Policies(EvaluatorRig.ReleaseKeyPolicy() + $$"""

            ---
            apiVersion: attest.dev/v1
            kind: PolicyException
            metadata: {name: incident-4711}
            spec:
              images: ["{{EvaluatorRig.Registry}}/prod/app"]
              namespaces: [payments]
              policies: [release]
              reasons: {{reasons}}
              expires: {{(_rig.Time.GetUtcNow() + lifetime).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}}
              reason: hotfix while the signing service is down
              approver: alice@example.com
            """);

    private static Task<Decision> EvaluateAsync(AdmissionEvaluator evaluator, PolicySet policies, Attest.Core.Digest digest, string @namespace) =>
        evaluator.EvaluateAsync(policies, "Pod", @namespace, [EvaluatorRig.Image("prod/app", digest)], null, CancellationToken.None);

    [Fact]
    public async Task An_exception_applies_per_request_over_the_cached_verdict_and_not_after_it_expires()
    {
        var policies = PoliciesWithException(TimeSpan.FromMinutes(30));
        var digest = _rig.PushImage("prod/app");
        var evaluator = _rig.Evaluator(ttl: TimeSpan.FromHours(2));

        var waived = await EvaluateAsync(evaluator, policies, digest, "payments");
        Assert.Equal(Verdict.Warn, waived.Verdict);
        var outcome = Assert.Single(Assert.Single(waived.Images).Outcomes);
        Assert.False(outcome.Passed);
        Assert.Equal(new Waiver("incident-4711", "alice@example.com", "hotfix while the signing service is down", outcome.WaivedBy!.Expires), outcome.WaivedBy);
        Assert.Empty(Assert.Single(waived.Images).Explain()); // a waived failure is no denial reason
        var calls = _rig.Source.Calls;

        // The same verdict, cached, for another namespace: not waived.
        Assert.Equal(Verdict.Deny, (await EvaluateAsync(evaluator, policies, digest, "default")).Verdict);
        Assert.Equal(calls, _rig.Source.Calls);
        Assert.Equal(1, evaluator.CachedVerdicts);

        // Past the expiry, the verdict still cached: the exception no longer waives it.
        _rig.Time.Advance(TimeSpan.FromMinutes(31));
        var expired = await EvaluateAsync(evaluator, policies, digest, "payments");
        Assert.Equal(Verdict.Deny, expired.Verdict);
        Assert.Null(Assert.Single(Assert.Single(expired.Images).Outcomes).WaivedBy);
        Assert.Equal(calls, _rig.Source.Calls);
    }

    [Fact]
    public async Task An_exception_listing_reasons_does_not_waive_a_failure_with_another_reason()
    {
        var policies = PoliciesWithException(TimeSpan.FromMinutes(30), "[attestation.missing]");
        var digest = _rig.PushImage("prod/app");
        var decision = await EvaluateAsync(_rig.Evaluator(), policies, digest, "payments");
        Assert.Equal(Verdict.Deny, decision.Verdict);
        Assert.Null(Assert.Single(Assert.Single(decision.Images).Outcomes).WaivedBy);
    }

    [Fact]
    public void An_exception_expired_at_load_loads_with_a_warning()
    {
        var policies = PoliciesWithException(TimeSpan.FromMinutes(-5));
        var warning = Assert.Single(policies.Warnings);
        Assert.Contains("PolicyException 'incident-4711' expired", warning.Message, StringComparison.Ordinal);
        Assert.False(Assert.Single(policies.Exceptions).IsActive(_rig.Time.GetUtcNow()));
    }
}
