using System.Collections.Concurrent;

namespace Attest.Policy.Evaluation;

/// <summary>
/// Concurrent requests for one key share one run of the work. The run has its own deadline, not any caller's: a
/// caller that gives up stops waiting and the others keep waiting on the same run, which is neither cancelled nor
/// failed by it. Once the run ends the key is free, so the next request starts afresh (caching results is the
/// caller's business).
/// </summary>
internal sealed class SingleFlight<TKey, TValue>(TimeProvider time, string stage) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<Task<TValue>>> _runs = new();

    /// <summary>Runs currently in flight (for tests).</summary>
    public int InFlight => _runs.Count;

    /// <summary>The result of the run for <paramref name="key"/>, started now with <paramref name="work"/> under
    /// <paramref name="deadline"/> unless one is already in flight.</summary>
    public Task<TValue> RunAsync(TKey key, Func<CancellationToken, Task<TValue>> work, TimeSpan deadline, CancellationToken callerToken)
    {
        Lazy<Task<TValue>>? mine = null;
        mine = new Lazy<Task<TValue>>(() => Start(key, mine!, work, deadline));
        var run = _runs.GetOrAdd(key, mine);
        if (!ReferenceEquals(run, mine)) EvaluationTelemetry.SharedWait(stage);
        return run.Value.WaitAsync(callerToken);
    }

    private Task<TValue> Start(TKey key, Lazy<Task<TValue>> run, Func<CancellationToken, Task<TValue>> work, TimeSpan deadline)
    {
        var timeout = new CancellationTokenSource(deadline, time);
        // Not Task.Run(…, token): a deadline that passes before the work starts is for the work to report, not a
        // cancelled task thrown at callers who did not cancel anything.
        var task = Task.Run(() => work(timeout.Token), CancellationToken.None);
        task.ContinueWith(finished =>
        {
            _runs.TryRemove(new KeyValuePair<TKey, Lazy<Task<TValue>>>(key, run));
            timeout.Dispose();
            _ = finished.Exception; // observed: callers that stopped waiting must not leave it unobserved
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }
}
