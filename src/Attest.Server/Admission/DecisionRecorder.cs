using System.Buffers;
using System.Text.Json;
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
            var canonical = image.Reference?.ToString() ?? image.Image;
            var entry = new LedgerEntry
            {
                Kind = LedgerEntryKinds.AdmissionDecision,
                Image = canonical,
                Digest = image.Digest?.ToString(),
                Namespace = request.Namespace,
                Verdict = LedgerVerdict(image),
                Details = Details(request, kind, decision, image, canonical != image.Image ? image.Image : null, traceId),
            };
            return ledger.AppendAsync(entry, cancellationToken);
        });
        return await Task.WhenAll(appends).ConfigureAwait(false);
    }

    /// <summary>The entry's details, written once at the most detail that fits the budget.</summary>
    internal static JsonElement Details(AdmissionRequest request, string kind, Decision decision, ImageDecision image, string? imageAsWritten, string? traceId)
    {
        var buffer = Attest.Core.IO.ScratchBuffer.Rent();
        try
        {
            return Details(buffer, request, kind, decision, image, imageAsWritten, traceId);
        }
        finally
        {
            Attest.Core.IO.ScratchBuffer.Return(buffer);
        }
    }

    private static JsonElement Details(ArrayBufferWriter<byte> buffer, AdmissionRequest request, string kind, Decision decision, ImageDecision image,
        string? imageAsWritten, string? traceId)
    {
        foreach (var detail in (ReadOnlySpan<FindingDetail>)[FindingDetail.Whole, FindingDetail.Short, FindingDetail.CodesOnly])
        {
            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("uid", request.Uid);
                writer.WriteString("operation", request.Operation);
                writer.WriteString("kind", kind);
                writer.WriteString("subResource", request.SubResource);
                writer.WriteString("name", request.Name);
                writer.WritePropertyName("user");
                WriteUser(writer, request.UserInfo);
                writer.WriteString("container", image.Container);
                writer.WriteString("policyRevision", decision.PolicyRevision);
                writer.WritePropertyName("reasons");
                WriteFindings(writer, image.Reasons, detail, 0);
                writer.WriteStartArray("policies");
                foreach (var outcome in image.Outcomes)
                {
                    writer.WriteStartObject();
                    writer.WriteString("policy", outcome.Policy);
                    writer.WriteString("mode", outcome.Mode.ToString().ToLowerInvariant());
                    writer.WriteBoolean("passed", outcome.Passed);
                    writer.WritePropertyName("reasons");
                    WriteFindings(writer, outcome.Reasons, detail, 0);
                    writer.WritePropertyName("waivedBy");
                    if (outcome.WaivedBy is { } waiver) WriteWaiver(writer, waiver, detail);
                    else writer.WriteNullValue();
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                if (imageAsWritten is not null) writer.WriteString("imageAsWritten", imageAsWritten);
                if (traceId is not null) writer.WriteString("traceId", traceId);
                writer.WriteEndObject();
            }
            if (detail == FindingDetail.CodesOnly || buffer.WrittenCount <= DetailsBudget)
            {
                var reader = new Utf8JsonReader(buffer.WrittenSpan);
                return JsonElement.ParseValue(ref reader);
            }
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>A request admitted only because an exception waived an enforced failure is recorded as <c>waived</c>.</summary>
    internal static string LedgerVerdict(ImageDecision image) =>
        image.Verdict == Verdict.Warn && image.Outcomes.Any(o => o.WaivedBy is not null && o.Mode == Policy.Model.PolicyMode.Enforce)
            ? "waived"
            : image.Verdict.ToString().ToLowerInvariant();

    /// <summary>Which exception waived a failure, who approved it, why and until when (the name and expiry at any detail).</summary>
    private static void WriteWaiver(Utf8JsonWriter writer, Waiver waiver, FindingDetail detail)
    {
        writer.WriteStartObject();
        writer.WriteString("exception", waiver.Exception);
        writer.WriteString("expires", waiver.Expires.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        if (detail != FindingDetail.CodesOnly)
        {
            writer.WriteString("approver", Bounded(waiver.Approver, 256));
            writer.WriteString("reason", Bounded(waiver.Reason, detail == FindingDetail.Whole ? 2048 : 256));
        }
        writer.WriteEndObject();
    }

    private static void WriteUser(Utf8JsonWriter writer, UserInfo? user)
    {
        if (user is null)
        {
            writer.WriteNullValue();
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("username", Bounded(user.Username, 512));
        writer.WriteString("uid", Bounded(user.Uid, 256));
        writer.WriteStartArray("groups");
        foreach (var group in (user.Groups ?? []).Take(64)) writer.WriteStringValue(Bounded(group, 256));
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private enum FindingDetail
    {
        Whole,
        Short,
        CodesOnly,
    }

    private const int MaxFindings = 64;
    private const int MaxCauseDepth = 4;
    private const int MaxEvidence = 16;

    private static void WriteFindings(Utf8JsonWriter writer, IEnumerable<Finding> findings, FindingDetail detail, int depth)
    {
        writer.WriteStartArray();
        foreach (var finding in findings.Take(MaxFindings)) WriteFinding(writer, finding, detail, depth);
        writer.WriteEndArray();
    }

    private static void WriteFinding(Utf8JsonWriter writer, Finding finding, FindingDetail detail, int depth)
    {
        writer.WriteStartObject();
        writer.WriteString("code", finding.Code);
        if (detail != FindingDetail.CodesOnly)
        {
            writer.WriteString("message", Bounded(finding.Message, detail == FindingDetail.Whole ? 2048 : 256));
            if (finding.Evidence is { Count: > 0 } evidence)
            {
                writer.WriteStartObject("evidence");
                // Keys cut to 64 characters can meet; the first keeps the name (a member twice would not be JSON the ledger takes).
                var keys = new List<string>(Math.Min(evidence.Count, MaxEvidence));
                foreach (var (key, value) in evidence.Take(MaxEvidence))
                {
                    var name = Bounded(key, 64)!;
                    if (keys.Contains(name)) continue;
                    keys.Add(name);
                    writer.WriteString(name, Bounded(value, 512));
                }
                writer.WriteEndObject();
            }
        }
        if (finding.Causes.Count > 0 && depth < MaxCauseDepth)
        {
            writer.WritePropertyName("causes");
            WriteFindings(writer, finding.Causes, detail, depth + 1);
        }
        writer.WriteEndObject();
    }

    private static string? Bounded(string? text, int max) => text is null || text.Length <= max ? text : text[..(max - 1)] + "…";
}
