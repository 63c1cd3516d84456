using System.Text.Json;
using Attest.Core;

namespace Attest.Sbom.Vulnerabilities;

/// <summary>Reads OpenVEX documents (<c>@context</c> https://openvex.dev/ns…): each statement's vulnerability name, @id and
/// aliases, and its status. Statements are kept in document order; a later one about the same vulnerability overrides an
/// earlier one, as the specification's inheritance rules say.</summary>
public static class VexReader
{
    public const string OpenVexContextPrefix = "https://openvex.dev/ns";
    public const int MaxStatements = 10_000;

    public static IReadOnlyList<VexStatement>? Read(JsonElement document, out Finding? failure)
    {
        failure = null;
        if (document.ValueKind != JsonValueKind.Object || VulnerabilityReportReader.Text(document, "@context") is not { } context
            || !context.StartsWith(OpenVexContextPrefix, StringComparison.Ordinal))
            return Fail("it is not an OpenVEX document (no https://openvex.dev/ns @context)", out failure);
        if (!document.TryGetProperty("statements", out var statements) || statements.ValueKind != JsonValueKind.Array)
            return Fail("it has no statements", out failure);
        if (statements.GetArrayLength() > MaxStatements) return Fail($"it has more than {MaxStatements} statements", out failure);
        var documentTime = VulnerabilityReportReader.Time(document, "timestamp");
        var result = new List<VexStatement>();
        foreach (var statement in statements.EnumerateArray())
        {
            if (!statement.TryGetProperty("vulnerability", out var vulnerability)) return Fail("a statement has no vulnerability", out failure);
            var ids = new List<string>();
            if (vulnerability.ValueKind == JsonValueKind.String) ids.Add(vulnerability.GetString()!);
            else if (vulnerability.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in new[] { "name", "@id" })
                    if (VulnerabilityReportReader.Text(vulnerability, field) is { } id) ids.Add(id);
                if (vulnerability.TryGetProperty("aliases", out var aliases) && aliases.ValueKind == JsonValueKind.Array)
                    foreach (var alias in aliases.EnumerateArray())
                        if (alias.ValueKind == JsonValueKind.String) ids.Add(alias.GetString()!);
            }
            if (ids.Count == 0) return Fail("a statement names no vulnerability", out failure);
            VexStatus? status = VulnerabilityReportReader.Text(statement, "status") switch
            {
                "not_affected" => VexStatus.NotAffected,
                "affected" => VexStatus.Affected,
                "fixed" => VexStatus.Fixed,
                "under_investigation" => VexStatus.UnderInvestigation,
                _ => null,
            };
            if (status is null) return Fail($"a statement about {ids[0]} has no valid status", out failure);
            result.Add(new VexStatement(ids, status.Value, VulnerabilityReportReader.Time(statement, "timestamp") ?? documentTime));
        }
        return result;
    }

    private static IReadOnlyList<VexStatement>? Fail(string message, out Finding? failure)
    {
        failure = new Finding(VulnerabilityCodes.ReportUnreadable, $"the VEX document cannot be read: {message}");
        return null;
    }
}
