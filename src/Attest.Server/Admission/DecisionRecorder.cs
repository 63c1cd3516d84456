using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Ledger;
using Attest.Policy.Evaluation;
using Attest.Server.Hosting;

namespace Attest.Server.Admission;

/// <summary>Writes one <c>admission.decision</c> ledger entry per image of a decided request, and returns only once
/// they are durable. The entry carries what an auditor needs to reconstruct why: the request, the digest, every
/// policy's verdict with reason codes, and the policy revision in force.</summary>
public sealed class DecisionRecorder(LedgerHolder holder)
{
    public async Task RecordAsync(string uid, string kind, string? @namespace, string? name, Decision decision, CancellationToken cancellationToken)
    {
        var ledger = holder.Ledger ?? throw new InvalidOperationException("the ledger is not open");
        var appends = decision.Images.Select(image =>
        {
            var details = new JsonObject
            {
                ["uid"] = uid,
                ["kind"] = kind,
                ["name"] = name,
                ["container"] = image.Container,
                ["policyRevision"] = decision.PolicyRevision,
                ["reasons"] = Codes(image.Reasons.Select(r => r.Code)),
                ["policies"] = new JsonArray(image.Outcomes.Select(o => (JsonNode)new JsonObject
                {
                    ["policy"] = o.Policy,
                    ["mode"] = o.Mode.ToString().ToLowerInvariant(),
                    ["passed"] = o.Passed,
                    ["reasons"] = Codes(o.Reasons.Select(r => r.Code)),
                    ["waivedBy"] = o.WaivedBy is { } waiver
                        ? new JsonObject
                        {
                            ["exception"] = waiver.Exception,
                            ["approver"] = waiver.Approver,
                            ["reason"] = waiver.Reason,
                            ["expires"] = waiver.Expires.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                        }
                        : null,
                }).ToArray()),
            };
            var entry = new LedgerEntry
            {
                Kind = LedgerEntryKinds.AdmissionDecision,
                Image = image.Image,
                Digest = image.Digest?.ToString(),
                Namespace = @namespace,
                // A request admitted only because an exception waived a failure is recorded as such.
                Verdict = image.Verdict == Verdict.Warn && image.Outcomes.Any(o => o.WaivedBy is not null && o.Mode == Policy.Model.PolicyMode.Enforce)
                    ? "waived"
                    : image.Verdict.ToString().ToLowerInvariant(),
                Details = LedgerEntry.DetailsFrom(details),
            };
            return ledger.AppendAsync(entry, cancellationToken);
        });
        await Task.WhenAll(appends).ConfigureAwait(false);
    }

    private static JsonArray Codes(IEnumerable<string> codes) => new(codes.Select(c => (JsonNode)c).ToArray());
}
