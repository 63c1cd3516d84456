using Attest.Oci;
using Attest.Policy.Evaluation;

namespace Attest.Policy.Tests.Evaluation;

/// <summary>The verdict cache and the sharing of work: what a verdict is kept by, for how long, and who waits on what.</summary>
public sealed class VerdictCacheTests : IDisposable
{
    private readonly EvaluatorRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task A_verdict_is_reused_until_it_expires_then_evidence_is_collected_again()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        _rig.Sign("prod/app", digest, _rig.ReleaseKey);
        var evaluator = _rig.Evaluator(ttl: TimeSpan.FromSeconds(60));

        Assert.Equal(Verdict.Allow, (await EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest)).Verdict);
        var calls = _rig.Source.Calls;
        Assert.True(calls > 0);

        _rig.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(Verdict.Allow, (await EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest)).Verdict);
        Assert.Equal(calls, _rig.Source.Calls);

        _rig.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(Verdict.Allow, (await EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest)).Verdict);
        Assert.True(_rig.Source.Calls > calls, "an expired verdict is computed again");
    }

    [Fact]
    public async Task With_no_ttl_nothing_is_reused()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        var evaluator = _rig.Evaluator(ttl: TimeSpan.Zero);
        await EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest);
        var calls = _rig.Source.Calls;
        await EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest);
        Assert.Equal(2 * calls, _rig.Source.Calls);
        Assert.Equal(0, evaluator.CachedVerdicts);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task One_digest_in_two_repositories_is_judged_on_each_repositorys_own_evidence_whatever_the_order(bool signedFirst)
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var (digest, manifest) = _rig.Source.PushImage(EvaluatorRig.Repository("prod/app"));
        // The same manifest bytes in a second repository: the same digest, with no signature attached there.
        Assert.Equal(digest, _rig.Source.PushManifest(EvaluatorRig.Repository("prod/other"), manifest));
        _rig.Sign("prod/app", digest, _rig.ReleaseKey);
        var evaluator = _rig.Evaluator(ttl: TimeSpan.FromSeconds(60));

        var order = signedFirst ? new[] { "prod/app", "prod/other" } : ["prod/other", "prod/app"];
        var verdicts = new Dictionary<string, Verdict>();
        foreach (var repository in order)
            verdicts[repository] = (await EvaluatorRig.EvaluateAsync(evaluator, policies, repository, digest)).Verdict;

        Assert.Equal(Verdict.Allow, verdicts["prod/app"]);
        Assert.Equal(Verdict.Deny, verdicts["prod/other"]);
    }

    [Fact]
    public async Task Concurrent_checks_of_one_digest_share_one_collection()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        _rig.Sign("prod/app", digest, _rig.ReleaseKey);
        var evaluator = _rig.Evaluator();
        var single = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "prod/app", digest);
        var callsForOne = _rig.Source.Calls;

        _rig.Source.Gate = new TaskCompletionSource();
        var first = EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest);
        var second = EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest);
        await Task.Delay(50);
        _rig.Source.Gate.SetResult();
        var decisions = await Task.WhenAll(first, second);

        Assert.All(decisions, d => Assert.Equal(Verdict.Allow, d.Verdict));
        Assert.Equal(single.Verdict, decisions[0].Verdict);
        Assert.Equal(2 * callsForOne, _rig.Source.Calls); // the single run above, and one shared run
    }

    [Fact]
    public async Task A_caller_that_gives_up_stops_waiting_without_failing_the_others()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        _rig.Sign("prod/app", digest, _rig.ReleaseKey);
        var evaluator = _rig.Evaluator();
        _rig.Source.Gate = new TaskCompletionSource();

        using var impatient = new CancellationTokenSource();
        var first = EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest, cancellationToken: impatient.Token);
        var second = EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest);
        await Task.Delay(50);
        await impatient.CancelAsync();

        var abandoned = await first.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Verdict.Deny, abandoned.Verdict);
        Assert.Contains(AdmissionCodes.EvaluationDeadline, EvaluatorRig.Codes(abandoned));
        Assert.False(second.IsCompleted, "the other caller keeps waiting on the shared run");

        _rig.Source.Gate.SetResult();
        var kept = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(kept.Verdict == Verdict.Allow, EvaluatorRig.Reasons(kept));
    }

    [Fact]
    public async Task Shared_work_runs_under_its_own_deadline_and_its_timeout_is_not_cached()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        _rig.Sign("prod/app", digest, _rig.ReleaseKey);
        var evaluator = _rig.Evaluator(workTimeout: TimeSpan.FromSeconds(5));
        _rig.Source.Gate = new TaskCompletionSource();

        var waiting = EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest);
        await Task.Delay(50);
        _rig.Time.Advance(TimeSpan.FromSeconds(6));
        var timedOut = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Verdict.Deny, timedOut.Verdict);
        Assert.Contains(RegistryCodes.Timeout, EvaluatorRig.Codes(timedOut));

        _rig.Source.Gate = null;
        var again = await EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest);
        Assert.True(again.Verdict == Verdict.Allow, EvaluatorRig.Reasons(again));
    }

    [Fact]
    public async Task A_transient_registry_failure_denies_and_is_never_cached()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        _rig.Sign("prod/app", digest, _rig.ReleaseKey);
        var evaluator = _rig.Evaluator(ttl: TimeSpan.FromMinutes(10));

        _rig.Source.Failure = new RegistryException(RegistryCodes.Unreachable, "connection refused", isTransient: true);
        var failed = await EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest);
        Assert.Equal(Verdict.Deny, failed.Verdict);
        Assert.Contains(RegistryCodes.Unreachable, EvaluatorRig.Codes(failed));
        Assert.Equal(0, evaluator.CachedVerdicts);

        _rig.Source.Failure = null;
        var recovered = await EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest);
        Assert.True(recovered.Verdict == Verdict.Allow, EvaluatorRig.Reasons(recovered));
    }

    [Fact]
    public async Task Credentials_reach_the_evidence_source_as_an_argument_and_key_the_verdict()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        _rig.Sign("prod/app", digest, _rig.ReleaseKey);
        var evaluator = _rig.Evaluator();
        var alice = Credentials("alice");
        var bob = Credentials("bob");

        await EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest, alice);
        Assert.All(_rig.Source.CredentialsSeen, c => Assert.Same(alice, c));
        var calls = _rig.Source.Calls;

        await EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest, alice);
        Assert.Equal(calls, _rig.Source.Calls); // cached for alice's credentials
        await EvaluatorRig.EvaluateAsync(evaluator, policies, "prod/app", digest, bob);
        Assert.True(_rig.Source.Calls > calls, "another credential identity does not reuse alice's verdict");
        Assert.Contains(_rig.Source.CredentialsSeen, c => ReferenceEquals(c, bob));
    }

    private static IRegistryCredentialProvider Credentials(string user) =>
        DockerConfigCredentials.ParseConfigJson(System.Text.Encoding.UTF8.GetBytes(
            $$"""{"auths":{"{{EvaluatorRig.Registry}}":{"username":"{{user}}","password":"secret-{{user}}"} } }"""));
}
