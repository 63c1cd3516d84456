using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Ledger;
using Attest.Server.Hosting;
using Attest.Server.Signing;
using Attest.Sigstore.Signing;

namespace Attest.Server.Checks;

/// <summary>Records every check evaluation in the ledger (passed or failed) and, for a passed one, has the signing
/// service issue the attestation, whose predicate names the evaluation's ledger index.</summary>
public static class CheckRecorder
{
    public const string GoSumPredicateType = "https://attest.dev/attestations/gosum/v1";
    public const string SbomPredicateType = "https://attest.dev/attestations/sbom/v1";

    public static async Task<long> RecordAsync(AuditLedger ledger, string kind, string client, CheckSubject subject, string verdict,
        JsonObject details, IReadOnlyList<CheckFinding> findings, CancellationToken cancellationToken)
    {
        // Codes and modules only: messages can be long, and an entry is at most 64 KiB.
        using var activity = Telemetry.AttestInstruments.Source.StartActivity("check.record");
        if (System.Diagnostics.Activity.Current?.TraceId.ToHexString() is { } traceId) details["traceId"] = traceId;
        details["findingCount"] = findings.Count;
        details["findings"] = new JsonArray(findings.Take(CheckLimits.MaxLedgerFindings).Select(f => (JsonNode)new JsonObject
        {
            ["code"] = f.Code,
            ["severity"] = f.Severity,
            ["module"] = f.Module is { Length: > 256 } m ? m[..256] : f.Module,
        }).ToArray());
        var index = await ledger.AppendAsync(new LedgerEntry
        {
            Kind = kind,
            Client = client,
            Digest = subject.Digest,
            Image = subject.Name,
            Verdict = verdict,
            Details = LedgerEntry.DetailsFrom(details),
        }, cancellationToken).ConfigureAwait(false);
        Telemetry.AttestInstruments.CheckRecorded(kind, verdict);
        return index;
    }

    public static async Task<IssuedBundleResponse> AttestAsync(SigningService signing, string client, CheckSubject subject, Digest digest,
        string predicateType, byte[] predicateJson, CancellationToken cancellationToken)
    {
        using var predicate = JsonDocument.Parse(predicateJson);
        var statement = StatementWriter.Write([(subject.Name ?? subject.Digest, digest)], predicateType, predicate.RootElement);
        var issued = await signing.SignStatementAsync(statement, digest, subject.Name, predicateType, client, cancellationToken).ConfigureAwait(false);
        using var bundle = JsonDocument.Parse(issued.Bundle);
        return new IssuedBundleResponse(bundle.RootElement.Clone(), issued.LogIndex, issued.KeyId);
    }

    /// <summary>At most <see cref="CheckLimits.MaxListedFindings"/> findings, errors first.</summary>
    public static IReadOnlyList<CheckFinding> Listed(IReadOnlyList<CheckFinding> findings) =>
        findings.OrderBy(f => f.Severity == "error" ? 0 : 1).Take(CheckLimits.MaxListedFindings).ToList();
}
