using Attest.Cel;
using Attest.Core;
using Attest.Policy.Model;

namespace Attest.Policy.Evaluation;

/// <summary>Evaluates a <c>{cel: …}</c> condition on a verified attestation: the predicate as CEL values, its type, the
/// image digest and the time. Anything but <c>true</c> fails the condition; an evaluation error says which, and the cost
/// limit has its own reason code.</summary>
internal static class CelConditions
{
    public static Finding? Check(PredicateCondition condition, AttestationRequirement requirement, VerifiedEvidence attestation, Digest digest, TimeProvider time)
    {
        var statement = attestation.Statement!;
        var variables = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["predicate"] = statement.Predicate is { } predicate ? CelJson.FromElement(predicate) : CelNull.Value,
            ["predicateType"] = statement.PredicateType,
            ["digest"] = digest.ToString(),
            ["now"] = time.GetUtcNow(),
        };
        var result = condition.Program!.Evaluate(variables);
        if (result.CostExceeded)
            return new Finding(AdmissionCodes.AttestationCelCost,
                $"attestation '{requirement.Name}': {condition} was stopped after {result.Cost} cost units (the limit is {CelConditionParser.Environment.Limits.MaxCost}); simplify the expression");
        if (result.Error is not null)
            return new Finding(AdmissionCodes.AttestationCondition, $"attestation '{requirement.Name}': {condition} could not be evaluated: {result.Error}");
        return result.IsTrue
            ? null
            : new Finding(AdmissionCodes.AttestationCondition, $"attestation '{requirement.Name}': {condition} is not met (it gives {result.Value})");
    }
}
