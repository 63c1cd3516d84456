namespace Attest.Sbom.Checks;

/// <summary>
/// What an SBOM must satisfy. Immutable; <see cref="Validate"/> returns every problem (the policy-file binding
/// maps the <c>sbom:</c> section of a policy onto this record).
/// </summary>
public sealed record SbomPolicy
{
    /// <summary>Licences (ids, LicenseRefs, <c>ID WITH EXCEPTION</c>) a component must not be bound by.</summary>
    public IReadOnlyList<string> DeniedLicenses { get; init; } = [];

    /// <summary>When set, the only licences a component may be bound by.</summary>
    public IReadOnlyList<string>? AllowedLicenses { get; init; }

    /// <summary>Package-URL rules with version ranges (<see cref="ComponentRule"/>).</summary>
    public IReadOnlyList<string> DeniedComponents { get; init; } = [];

    /// <summary>Require the NTIA minimum elements (supplier, name, version, unique identifier, dependency
    /// relationship, author, timestamp).</summary>
    public bool RequireNtiaMinimumElements { get; init; }

    /// <summary>Oldest creation time accepted, relative to now.</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>Tolerance for creation times in the future (clock skew).</summary>
    public TimeSpan FutureSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Most components a document may list.</summary>
    public int? MaxComponents { get; init; }

    /// <summary>Largest document, in bytes.</summary>
    public long? MaxBytes { get; init; }

    /// <summary>Report schema violations as findings (on by default: an invalid SBOM does not pass).</summary>
    public bool RequireSchemaValidity { get; init; } = true;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var rule in DeniedComponents)
            if (!ComponentRule.TryParse(rule, out _, out var error)) errors.Add($"deniedComponents: '{rule}': {error}");
        foreach (var license in DeniedLicenses.Concat(AllowedLicenses ?? []))
            if (string.IsNullOrWhiteSpace(license)) errors.Add("licence lists must not contain empty entries");
        if (MaxAge is { } age && age <= TimeSpan.Zero) errors.Add("maxAge must be positive");
        if (MaxComponents is < 1) errors.Add("maxComponents must be at least 1");
        if (MaxBytes is < 1) errors.Add("maxBytes must be at least 1");
        if (FutureSkew < TimeSpan.Zero) errors.Add("futureSkew must not be negative");
        return errors;
    }
}
