using Attest.Policy.Evaluation;

namespace Attest.Policy.Tests.Evaluation;

/// <summary>The judge stage through the whole pipeline: thresholds, platforms, attestation conditions, and the causes
/// a failing requirement carries.</summary>
public sealed class PolicyJudgeTests : IDisposable
{
    private const string Provenance = "https://slsa.dev/provenance/v1";
    private readonly EvaluatorRig _rig = new();

    public void Dispose() => _rig.Dispose();

    private static string TwoKeys(int threshold) => EvaluatorRig.Policy("two-keys", $$"""
          signatures:
            threshold: {{threshold}}
            authorities:
              - {name: release-key, trustedRoot: trusted_root.json, key: {file: release.pub} }
              - {name: auditor, trustedRoot: trusted_root.json, key: {file: auditor.pub} }
        """);

    [Fact]
    public async Task A_threshold_of_two_needs_two_distinct_authorities()
    {
        var policies = _rig.Policies(TwoKeys(2));
        var digest = _rig.PushImage("prod/app");
        _rig.Sign("prod/app", digest, _rig.ReleaseKey);
        _rig.Sign("prod/app", digest, _rig.ReleaseKey); // a second signature by the same authority does not count twice

        var one = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(ttl: TimeSpan.Zero), policies, "prod/app", digest);
        Assert.Equal(Verdict.Deny, one.Verdict);
        Assert.Contains(AdmissionCodes.SignatureThreshold, EvaluatorRig.Codes(one));

        _rig.Sign("prod/app", digest, _rig.AuditorKey);
        var two = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(ttl: TimeSpan.Zero), policies, "prod/app", digest);
        Assert.True(two.Verdict == Verdict.Allow, EvaluatorRig.Reasons(two));
        Assert.Equal(["signature by auditor", "signature by release-key"], two.Images[0].Outcomes[0].SatisfiedBy.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_untrusted_signature_carries_each_authoritys_own_failure_as_its_cause()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        _rig.Sign("prod/app", digest, _rig.OtherKey);

        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "prod/app", digest);
        var reason = Assert.Single(decision.Images[0].Outcomes[0].Reasons);
        Assert.Equal(AdmissionCodes.SignatureUntrusted, reason.Code);
        var cause = Assert.Single(reason.Causes);
        // The Sigstore verifier's own finding: the log entry records the stranger's key, not the policy's.
        Assert.Equal(Attest.Sigstore.SigstoreCodes.TlogBodyKeyMismatch, cause.Code);
        Assert.Equal("release-key", cause.Evidence!["authority"]);
    }

    private string Platforms(bool signed) => EvaluatorRig.Policy("platforms", $$"""
          signatures:
            authorities: [{name: release-key, trustedRoot: trusted_root.json, key: {file: release.pub} }]
          platforms: {required: [linux/amd64, linux/arm64], signed: {{(signed ? "true" : "false")}} }
        """);

    [Fact]
    public async Task Platforms_are_judged_on_the_collected_index_and_each_platforms_own_signature()
    {
        var policies = _rig.Policies(Platforms(signed: true));
        var (index, platforms) = _rig.Source.PushIndex(EvaluatorRig.Repository("multi/app"), "linux/amd64", "linux/arm64");
        _rig.Sign("multi/app", index, _rig.ReleaseKey);
        _rig.Sign("multi/app", platforms["linux/amd64"], _rig.ReleaseKey);

        var partly = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(ttl: TimeSpan.Zero), policies, "multi/app", index);
        Assert.Equal(Verdict.Deny, partly.Verdict);
        var reason = Assert.Single(partly.Images[0].Outcomes[0].Reasons);
        Assert.Equal(AdmissionCodes.PlatformUnsigned, reason.Code);
        Assert.Contains("linux/arm64", reason.Message, StringComparison.Ordinal);
        Assert.Equal(AdmissionCodes.SignatureNone, Assert.Single(reason.Causes).Code);

        _rig.Sign("multi/app", platforms["linux/arm64"], _rig.ReleaseKey);
        var whole = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(ttl: TimeSpan.Zero), policies, "multi/app", index);
        Assert.True(whole.Verdict == Verdict.Allow, EvaluatorRig.Reasons(whole));
        Assert.Contains("platforms [linux/amd64, linux/arm64] signed", whole.Images[0].Outcomes[0].SatisfiedBy);
    }

    [Fact]
    public async Task A_missing_platform_and_a_single_platform_image_are_denied_with_their_own_reasons()
    {
        var policies = _rig.Policies(Platforms(signed: false));
        var (index, _) = _rig.Source.PushIndex(EvaluatorRig.Repository("multi/app"), "linux/amd64");
        _rig.Sign("multi/app", index, _rig.ReleaseKey);
        var single = _rig.PushImage("multi/app");
        _rig.Sign("multi/app", single, _rig.ReleaseKey);

        var missing = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "multi/app", index);
        Assert.Equal([AdmissionCodes.PlatformMissing], EvaluatorRig.Codes(missing));
        var notIndex = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "multi/app", single);
        Assert.Equal([AdmissionCodes.PlatformNotIndex], EvaluatorRig.Codes(notIndex));
    }

    private string ProvenancePolicy(string condition) => EvaluatorRig.Policy("provenance", $$"""
          authorities: [{name: release-key, trustedRoot: trusted_root.json, key: {file: release.pub} }]
          attestations:
            - name: provenance
              predicateType: {{Provenance}}
              authorities: [release-key]
              conditions:
                - {{condition}}
        """);

    private async Task<Decision> AttestedAsync(string policy, string predicate)
    {
        var policies = _rig.Policies(policy);
        var digest = _rig.PushImage("prod/app");
        _rig.Source.AttachBundle(EvaluatorRig.Repository("prod/app"), digest, _rig.Sigstore.SignImageDsse(digest, Provenance, predicate, _rig.ReleaseKey));
        return await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "prod/app", digest);
    }

    [Fact]
    public async Task Exists_false_admits_a_predicate_without_the_value()
    {
        var decision = await AttestedAsync(ProvenancePolicy("{path: /runDetails/debug, exists: false}"), """{"runDetails":{"builder":{"id":"ci"}}}""");
        Assert.True(decision.Verdict == Verdict.Allow, EvaluatorRig.Reasons(decision));
    }

    [Fact]
    public async Task Exists_false_denies_a_predicate_that_has_the_value()
    {
        var decision = await AttestedAsync(ProvenancePolicy("{path: /runDetails/debug, exists: false}"), """{"runDetails":{"debug":true}}""");
        Assert.Equal(Verdict.Deny, decision.Verdict);
        var reason = Assert.Single(decision.Images[0].Outcomes[0].Reasons);
        Assert.Equal(AdmissionCodes.AttestationCondition, reason.Code);
        Assert.Contains("/runDetails/debug is absent", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_regular_expression_that_runs_out_of_time_denies_with_its_own_reason()
    {
        // Nested quantifiers backtrack exponentially on a long run of 'a' that does not end as the pattern wants.
        var value = new string('a', 5_000) + "!";
        var decision = await AttestedAsync(ProvenancePolicy("{path: /builder, matches: '(a+)+b'}"), $$"""{"builder":"{{value}}"}""");
        Assert.Equal(Verdict.Deny, decision.Verdict);
        var reason = Assert.Single(decision.Images[0].Outcomes[0].Reasons);
        Assert.Equal(AdmissionCodes.ConditionTimeout, reason.Code);
    }

    [Fact]
    public async Task An_attestation_signed_by_another_key_is_untrusted_with_the_cause()
    {
        var policies = _rig.Policies(ProvenancePolicy("{path: /builder, exists: true}"));
        var digest = _rig.PushImage("prod/app");
        _rig.Source.AttachBundle(EvaluatorRig.Repository("prod/app"), digest, _rig.Sigstore.SignImageDsse(digest, Provenance, """{"builder":"x"}""", _rig.OtherKey));
        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "prod/app", digest);
        var reason = Assert.Single(decision.Images[0].Outcomes[0].Reasons);
        Assert.Equal(AdmissionCodes.AttestationUntrusted, reason.Code);
        Assert.NotEmpty(reason.Causes);
    }
}
