using Attest.Policy;

namespace Attest.Server.Hosting;

/// <summary>The policy set currently in force. Swapped atomically when policies are reloaded.</summary>
public sealed class PolicyState
{
    private PolicySet? _current;

    public PolicySet? Current => Volatile.Read(ref _current);

    public void Publish(PolicySet set) => Volatile.Write(ref _current, set);
}
