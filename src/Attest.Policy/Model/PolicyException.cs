namespace Attest.Policy.Model;

/// <summary>
/// A <c>PolicyException</c> document: for the images and namespaces it names, failures of the named image policies
/// (all their reasons, or only the listed reason codes) admit with a warning instead of denying, until
/// <see cref="Expires"/>. Who approved it and why are part of it, and every admission it waives names it in the
/// ledger. After its expiry it has no effect.
/// </summary>
public sealed record PolicyException(
    string Name,
    SourceLocation Source,
    IReadOnlyList<Glob> Images,
    IReadOnlyList<Glob> Namespaces,
    IReadOnlyList<string> Policies,
    IReadOnlySet<string> Reasons,
    DateTimeOffset Expires,
    string Reason,
    string Approver)
{
    /// <summary>The longest an exception may run, counted from when the policy set is loaded.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(30);

    public bool IsActive(DateTimeOffset now) => now < Expires;

    /// <summary>Whether it applies to this image (normalized registry/repository), namespace and policy now.</summary>
    public bool Covers(string imageName, string? @namespace, string policy, DateTimeOffset now) =>
        IsActive(now) &&
        Images.Any(g => g.IsMatch(imageName)) &&
        @namespace is not null && Namespaces.Any(g => g.IsMatch(@namespace)) &&
        Policies.Any(p => p == "*" || string.Equals(p, policy, StringComparison.Ordinal));

    /// <summary>Whether a failure with these reason codes is waived: every code must be listed (or none are listed).</summary>
    public bool Waives(IEnumerable<string> codes) => Reasons.Count == 0 || codes.All(Reasons.Contains);
}
