namespace Attest.Policy;

/// <summary>Bounds on what the policy loader reads (every reader has a limit).</summary>
public static class PolicyLimits
{
    public const int MaxFiles = 1_000;
    public const long MaxFileBytes = 1 << 20;
    public const int MaxDocumentsPerFile = 100;
}
