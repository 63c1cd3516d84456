using Attest.Policy;

namespace Attest.Server.Hosting;

/// <summary>The policy set currently in force, swapped atomically when policies are reloaded, and the last reload
/// that was refused since (the set in force is then still the last good one, and readiness reports it degraded).</summary>
public sealed class PolicyState
{
    private PolicySet? _current;
    private PolicyRefusal? _refused;

    public PolicySet? Current => Volatile.Read(ref _current);

    /// <summary>The reload refused after <see cref="Current"/> came into force; null when none was.</summary>
    public PolicyRefusal? Refused => Volatile.Read(ref _refused);

    public void Publish(PolicySet set)
    {
        Volatile.Write(ref _current, set);
        Volatile.Write(ref _refused, null);
    }

    public void Refuse(PolicyRefusal refusal) => Volatile.Write(ref _refused, refusal);
}

/// <summary>Why a reload was refused: every error (file:line:column and what is wrong), and when.</summary>
public sealed record PolicyRefusal(IReadOnlyList<string> Errors, DateTimeOffset At);
