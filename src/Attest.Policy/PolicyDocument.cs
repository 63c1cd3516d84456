using YamlDotNet.RepresentationModel;

namespace Attest.Policy;

/// <summary>Where a piece of policy came from, for error messages a person can follow.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>One YAML document of a policy file, with its identity checked and its body kept for the
/// kind-specific readers.</summary>
public sealed record PolicyDocument(string Kind, string Name, SourceLocation Source, YamlMappingNode Body);

/// <summary>A loaded, validated set of policy documents. The revision is a digest over the policy files' names and
/// bytes and over every file they reference (keys, trusted roots), so the same files always give the same revision
/// and changed trust material a new one (it is what verdict caches and the ledger key on).</summary>
public sealed record PolicySet(
    string Directory,
    string Revision,
    IReadOnlyList<PolicyDocument> Documents,
    IReadOnlyList<Model.ImagePolicy> ImagePolicies,
    IReadOnlyList<GoModules.GoSumPolicy> GoSumPolicies,
    IReadOnlyList<Sbom.Checks.SbomPolicy> SbomPolicies)
{
    /// <summary>Every file the set was made of (policy files, then referenced trust material), each with its digest.</summary>
    public IReadOnlyList<PolicyFile> Files { get; init; } = [];

    /// <summary>PolicyException documents (expired ones included: they have no effect but are still part of the set).</summary>
    public IReadOnlyList<Model.PolicyException> Exceptions { get; init; } = [];

    /// <summary>Problems that do not stop the set from loading (an expired exception or allowance), for lint and the load log.</summary>
    public IReadOnlyList<PolicyError> Warnings { get; init; } = [];

    /// <summary>The go.sum rules of every GoSumPolicy document together: any document's denial denies, local
    /// replacements are allowed only if every document allows them.</summary>
    public GoModules.GoSumPolicy CombinedGoSumPolicy => GoSumPolicies.Count == 0
        ? GoModules.GoSumPolicy.Default
        : new GoModules.GoSumPolicy
        {
            DeniedModules = GoSumPolicies.SelectMany(p => p.DeniedModules).Distinct(StringComparer.Ordinal).ToList(),
            PrivatePatterns = GoSumPolicies.SelectMany(p => p.PrivatePatterns).Distinct(StringComparer.Ordinal).ToList(),
            AllowLocalReplace = GoSumPolicies.All(p => p.AllowLocalReplace),
        };
}

/// <summary>A problem in a policy file, located to file, line and column.</summary>
public sealed record PolicyError(SourceLocation Source, string Message)
{
    public override string ToString() => $"{Source}: {Message}";
}
