namespace Attest.Sbom;

/// <summary>
/// Every bound the SBOM readers and checks enforce, in one place. Readers check the byte cap before parsing,
/// then depth, string length and element counts while streaming; licence expressions are bounded in length and
/// nesting before they are parsed. Defaults admit real SBOMs with a few hundred thousand components.
/// </summary>
public sealed record SbomLimits
{
    public static SbomLimits Default { get; } = new();

    /// <summary>Largest document accepted, in bytes (checked before anything is parsed).</summary>
    public long MaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Deepest JSON nesting accepted (objects and arrays).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Longest JSON string (value or property name) accepted, in bytes as encoded.</summary>
    public int MaxStringBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Most components (CycloneDX components incl. nested, SPDX packages/files, SPDX 3 elements).</summary>
    public int MaxComponents { get; init; } = 1_000_000;

    /// <summary>Most relationships / dependency edges.</summary>
    public int MaxRelationships { get; init; } = 4_000_000;

    /// <summary>Longest SPDX licence expression accepted, in characters.</summary>
    public int MaxLicenseExpressionLength { get; init; } = 8192;

    /// <summary>Deepest parenthesis / operator nesting of a licence expression.</summary>
    public int MaxLicenseExpressionDepth { get; init; } = 32;

    /// <summary>Most schema violations reported for one document (the rest are counted, not listed).</summary>
    public int MaxReportedViolations { get; init; } = 200;

    /// <summary>Longest package URL accepted, in characters.</summary>
    public int MaxPackageUrlLength { get; init; } = 4096;
}
