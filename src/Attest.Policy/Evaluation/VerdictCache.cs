using System.Collections.Concurrent;

namespace Attest.Policy.Evaluation;

/// <summary>
/// Verdicts kept for a while by everything they depend on (<see cref="VerdictKey"/>). Only verdicts that would come
/// out the same again are added (never a failure that may pass on retry). Bounded: past the limit, expired verdicts are
/// swept and, if that is not enough, the cache starts over (it is an optimization, memory stays bounded whatever
/// images the cluster runs).
/// </summary>
internal sealed class VerdictCache(TimeProvider time, TimeSpan ttl, int maxEntries)
{
    private readonly ConcurrentDictionary<VerdictKey, (PolicyOutcome Outcome, DateTimeOffset ExpiresAt)> _verdicts = new();

    public int Count => _verdicts.Count;

    public bool TryGet(VerdictKey key, out PolicyOutcome outcome)
    {
        if (_verdicts.TryGetValue(key, out var cached) && cached.ExpiresAt > time.GetUtcNow())
        {
            outcome = cached.Outcome;
            EvaluationTelemetry.CacheLookup(hit: true);
            return true;
        }
        outcome = null!;
        EvaluationTelemetry.CacheLookup(hit: false);
        return false;
    }

    public void Add(VerdictKey key, PolicyOutcome outcome)
    {
        if (ttl <= TimeSpan.Zero) return;
        var now = time.GetUtcNow();
        if (_verdicts.Count >= maxEntries) Sweep(now);
        _verdicts[key] = (outcome, now + ttl);
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, cached) in _verdicts)
            if (cached.ExpiresAt <= now) _verdicts.TryRemove(new KeyValuePair<VerdictKey, (PolicyOutcome, DateTimeOffset)>(key, cached));
        if (_verdicts.Count >= maxEntries) _verdicts.Clear();
    }
}
