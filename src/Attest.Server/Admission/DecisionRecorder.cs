using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Ledger;
using Attest.Policy.Evaluation;

namespace Attest.Server.Admission;

/// <summary>Writes one <c>admission.decision</c> ledger entry per image of a decided request, and returns only once
/// they are durable. The entry carries what an auditor needs to answer "who deployed what, and why was it refused":
/// the request (uid, operation, kind, name), the requesting user and groups, the digest, the policy revision in
/// force, and every policy's verdict with its reasons whole (code, sentence, evidence, and the findings each follows
/// from, such as the Sigstore failure behind <c>signature.untrusted</c>).</summary>
public sealed class DecisionRecorder(AuditLedger ledger)
{
    /// <summary>Details beyond this are recorded with shorter sentences, then codes only (a ledger entry is at most
    /// <see cref="LedgerLimits.MaxEntryBytes"/>).</summary>
    private const int DetailsBudget = LedgerLimits.MaxEntryBytes - 8 * 1024;

    /// <summary>Records the decision; returns the ledger index of each image's entry.</summary>
    public async Task<long[]> RecordAsync(AdmissionRequest request, string kind, Decision decision, CancellationToken cancellationToken)
    {
        // The trace the decision was made in, so an auditor can go from the entry to its spans and log lines.
        var traceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString();
        var appends = decision.Images.Select(image =>
        {
            // The ledger records the canonical reference (what policies matched), and the spelling only when it differs.
            var canonical = Attest.Oci.ImageReference.TryParse(image.Image, out var reference, out _) ? reference.ToString() : image.Image;
            var details = Details(request, kind, decision, image);
            if (canonical != image.Image) details["imageAsWritten"] = image.Image;
            if (traceId is not null) details["traceId"] = traceId;
            var entry = new LedgerEntry
            {
                Kind = LedgerEntryKinds.AdmissionDecision,
                Image = canonical,
                Digest = image.Digest?.ToString(),
                Namespace = request.Namespace,
                Verdict = LedgerVerdict(image),
                Details = LedgerEntry.DetailsFrom(details),
            };
            return ledger.AppendAsync(entry, cancellationToken);
        });
        return await Task.WhenAll(appends).ConfigureAwait(false);
    }

    internal static JsonObject Details(AdmissionRequest request, string kind, Decision decision, ImageDecision image)
    {
        foreach (var detail in new[] { FindingDetail.Whole, FindingDetail.Short, FindingDetail.CodesOnly })
        {
            var details = new JsonObject
            {
                ["uid"] = request.Uid,
                ["operation"] = request.Operation,
                ["kind"] = kind,
                ["subResource"] = request.SubResource,
                ["name"] = request.Name,
                ["user"] = User(request.UserInfo),
                ["container"] = image.Container,
                ["policyRevision"] = decision.PolicyRevision,
                ["reasons"] = Findings(image.Reasons, detail),
                ["policies"] = new JsonArray(image.Outcomes.Select(o => (JsonNode)new JsonObject
                {
                    ["policy"] = o.Policy,
                    ["mode"] = o.Mode.ToString().ToLowerInvariant(),
                    ["passed"] = o.Passed,
                    ["reasons"] = Findings(o.Reasons, detail),
                    ["waivedBy"] = o.WaivedBy is { } waiver ? Waiver(waiver, detail) : null,
                }).ToArray()),
            };
            if (detail == FindingDetail.CodesOnly || Utf8Length(details) <= DetailsBudget) return details;
        }
        throw new InvalidOperationException("unreachable");
    }

    private static int Utf8Length(JsonObject details)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer)) details.WriteTo(writer);
        return buffer.WrittenCount;
    }

    /// <summary>A request admitted only because an exception waived an enforced failure is recorded as <c>waived</c>.</summary>
    internal static string LedgerVerdict(ImageDecision image) =>
        image.Verdict == Verdict.Warn && image.Outcomes.Any(o => o.WaivedBy is not null && o.Mode == Policy.Model.PolicyMode.Enforce)
            ? "waived"
            : image.Verdict.ToString().ToLowerInvariant();

    /// <summary>Which exception waived a failure, who approved it, why and until when (the name and expiry at any detail).</summary>
    private static JsonObject Waiver(Waiver waiver, FindingDetail detail)
    {
        var node = new JsonObject
        {
            ["exception"] = waiver.Exception,
            ["expires"] = waiver.Expires.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (detail != FindingDetail.CodesOnly)
        {
            node["approver"] = Bounded(waiver.Approver, 256);
            node["reason"] = Bounded(waiver.Reason, detail == FindingDetail.Whole ? 2048 : 256);
        }
        return node;
    }

    private static JsonObject? User(UserInfo? user) => user is null ? null : new JsonObject
    {
        ["username"] = Bounded(user.Username, 512),
        ["uid"] = Bounded(user.Uid, 256),
        ["groups"] = new JsonArray((user.Groups ?? []).Take(64).Select(g => (JsonNode?)Bounded(g, 256)).ToArray()),
    };

    private enum FindingDetail
    {
        Whole,
        Short,
        CodesOnly,
    }

    private const int MaxFindings = 64;
    private const int MaxCauseDepth = 4;

    private static JsonArray Findings(IEnumerable<Finding> findings, FindingDetail detail, int depth = 0) =>
        new(findings.Take(MaxFindings).Select(f => (JsonNode)Finding(f, detail, depth)).ToArray());

    private static JsonObject Finding(Finding finding, FindingDetail detail, int depth)
    {
        var node = new JsonObject { ["code"] = finding.Code };
        if (detail != FindingDetail.CodesOnly)
        {
            node["message"] = Bounded(finding.Message, detail == FindingDetail.Whole ? 2048 : 256);
            if (finding.Evidence is { Count: > 0 } evidence)
            {
                var values = new JsonObject();
                foreach (var (key, value) in evidence.Take(16)) values[Bounded(key, 64)!] = Bounded(value, 512);
                node["evidence"] = values;
            }
        }
        if (finding.Causes.Count > 0 && depth < MaxCauseDepth) node["causes"] = Findings(finding.Causes, detail, depth + 1);
        return node;
    }

    private static string? Bounded(string? text, int max) => text is null || text.Length <= max ? text : text[..(max - 1)] + "…";
}
