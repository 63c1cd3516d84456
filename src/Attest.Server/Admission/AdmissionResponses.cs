using Attest.Policy.Evaluation;

namespace Attest.Server.Admission;

/// <summary>Turns a decision into what the API server shows: a denial message naming each image, policy and cause;
/// warnings for warn-mode failures; audit annotations for audit-mode failures.</summary>
internal static class AdmissionResponses
{
    private const int MaxMessageLength = 4096;

    public static AdmissionResponse From(string uid, string subject, Decision decision)
    {
        var enforced = decision.Images.Where(i => i.Verdict == Verdict.Deny).SelectMany(i => i.Explain()).ToList();
        var warned = decision.Images
            .SelectMany(i => i.Outcomes.Where(o => o.Fails && o.Mode == Policy.Model.PolicyMode.Warn)
                .SelectMany(o => o.Reasons.Select(r => $"attest: policy '{o.Policy}' (warn) [{r.Code}] image {i.Image}: {r.Message}")))
            .Concat(decision.Images.SelectMany(i => i.Outcomes.Where(o => o.WaivedBy is not null && o.Mode != Policy.Model.PolicyMode.Audit)
                .Select(o => $"attest: policy '{o.Policy}' failed for image {i.Image} [{string.Join(", ", o.Reasons.Select(r => r.Code))}] but is waived by {o.WaivedBy}")))
            .Select(AdmissionEndpoints.Truncate)
            .ToList();
        var waived = decision.Images
            .SelectMany(i => i.Outcomes.Where(o => o.WaivedBy is not null)
                .Select(o => (Key: $"attest.dev/exception-{o.Policy}", Value: $"{o.WaivedBy!.Exception}: {i.Image}: {string.Join("; ", o.Reasons.Select(r => r.Code))}")))
            .GroupBy(a => a.Key)
            .ToDictionary(g => g.Key, g => string.Join(" | ", g.Select(a => a.Value)));
        var audited = decision.Images
            .SelectMany(i => i.Outcomes.Where(o => o.Fails && o.Mode == Policy.Model.PolicyMode.Audit)
                .Select(o => (Key: $"attest.dev/audit-{o.Policy}", Value: $"{i.Image}: {string.Join("; ", o.Reasons.Select(r => r.Code))}")))
            .GroupBy(a => a.Key)
            .ToDictionary(g => g.Key, g => string.Join(" | ", g.Select(a => a.Value)));
        var annotations = new Dictionary<string, string>(audited) { ["attest.dev/policy-revision"] = decision.PolicyRevision };
        foreach (var (key, value) in waived) annotations[key] = value;

        if (decision.Verdict == Verdict.Deny)
        {
            var message = $"attest denied {subject}: {string.Join("; ", enforced)}";
            if (message.Length > MaxMessageLength) message = message[..(MaxMessageLength - 1)] + "…";
            return new AdmissionResponse(uid, false, new AdmissionStatus(StatusCodes.Status403Forbidden, message, "Forbidden"),
                Warnings: warned.Count > 0 ? warned : null, AuditAnnotations: annotations);
        }
        return new AdmissionResponse(uid, true, Warnings: warned.Count > 0 ? warned : null, AuditAnnotations: annotations);
    }
}
