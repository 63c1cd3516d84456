using Attest.Core;

namespace Attest.Sbom.Json;

/// <summary>Collects structural violations of a document, each with the JSON path where it was found; the number
/// listed is capped by <see cref="SbomLimits.MaxReportedViolations"/>, the total is always counted.</summary>
internal sealed class Violations(SbomLimits limits)
{
    private readonly List<Finding> _findings = [];

    public int Count { get; private set; }

    public void Add(string path, string message)
    {
        Count++;
        if (_findings.Count < limits.MaxReportedViolations)
            _findings.Add(new Finding(SbomCodes.SchemaViolation, $"{path}: {message}", new Dictionary<string, string> { ["path"] = path }));
    }

    public IReadOnlyList<Finding> ToFindings()
    {
        if (Count <= _findings.Count) return _findings;
        return [.. _findings, new Finding(SbomCodes.SchemaViolation,
            $"{Count - _findings.Count} further violations were not listed (limit {limits.MaxReportedViolations}).",
            new Dictionary<string, string> { ["path"] = "$", ["total"] = Count.ToString(System.Globalization.CultureInfo.InvariantCulture) })];
    }
}
