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
                }).ToArray()),
            };
            // The ledger records the canonical reference (what policies matched), and the spelling only when it differs.
            var canonical = Attest.Oci.ImageReference.TryParse(image.Image, out var reference, out _) ? reference.ToString() : image.Image;
            if (canonical != image.Image) details["imageAsWritten"] = image.Image;
            var entry = new LedgerEntry
            {
                Kind = LedgerEntryKinds.AdmissionDecision,
                Image = canonical,
                Digest = image.Digest?.ToString(),
                Namespace = @namespace,
                Verdict = image.Verdict.ToString().ToLowerInvariant(),
                Details = LedgerEntry.DetailsFrom(details),
            };
            return ledger.AppendAsync(entry, cancellationToken);
        });
        await Task.WhenAll(appends).ConfigureAwait(false);
    }

    private static JsonArray Codes(IEnumerable<string> codes) => new(codes.Select(c => (JsonNode)c).ToArray());
}
