using System.Text.Json;
using System.Text.RegularExpressions;
using Attest.Core;
using Attest.Policy.Evaluation;

namespace Attest.Policy.Model;

/// <summary>What a condition is checked on: a verified attestation's predicate and predicate type, the name of the
/// requirement it meets, the image digest and the time of the check.</summary>
public sealed record ConditionInput(JsonElement? Predicate, string PredicateType, string Attestation, Digest Digest, DateTimeOffset Now);

/// <summary>
/// A check on an attestation's predicate: one value addressed by a JSON pointer (RFC 6901), or a CEL expression over
/// the whole. Each kind says itself whether it holds and, when not, why: new kinds are new subclasses, and the judge
/// needs no change.
/// </summary>
public abstract record PredicateCondition(SourceLocation Source, string Path)
{
    /// <summary>Null when the condition holds for <paramref name="input"/>; otherwise the reason it does not, naming
    /// the attestation requirement.</summary>
    public abstract Finding? Check(ConditionInput input);

    /// <summary>The value at <see cref="Path"/>, or null when the predicate has none there.</summary>
    protected JsonElement? Resolve(JsonElement? predicate) =>
        predicate is { } p && JsonPointer.TryResolve(p, Path, out var value) ? value : null;

    protected Finding NotMet(string attestation, JsonElement? found) =>
        new(AdmissionCodes.AttestationCondition,
            $"attestation '{attestation}': {this} is not met (found {(found is { } f ? Shorten(JsonPointer.ScalarText(f) ?? f.GetRawText()) : "nothing")})",
            Where());

    /// <summary>The condition and its place in the policy, as a finding's evidence.</summary>
    protected Dictionary<string, string> Where() => new() { ["condition"] = ToString(), ["at"] = Source.ToString() };

    private static string Shorten(string text) => text.Length <= 120 ? $"'{text}'" : $"'{text[..120]}…'";
}

/// <summary><c>equals: VALUE</c>: the scalar at the path, as text, is exactly the value.</summary>
public sealed record EqualsCondition(SourceLocation Source, string Path, string Value) : PredicateCondition(Source, Path)
{
    public override Finding? Check(ConditionInput input)
    {
        var found = Resolve(input.Predicate);
        return found is { } f && JsonPointer.ScalarText(f) == Value ? null : NotMet(input.Attestation, found);
    }

    public override string ToString() => $"{Path} equals '{Value}'";
}

/// <summary><c>oneOf: [A, B]</c>: the scalar at the path is one of the values.</summary>
public sealed record OneOfCondition(SourceLocation Source, string Path, IReadOnlyList<string> Values) : PredicateCondition(Source, Path)
{
    public override Finding? Check(ConditionInput input)
    {
        var found = Resolve(input.Predicate);
        return found is { } f && JsonPointer.ScalarText(f) is { } text && Values.Contains(text) ? null : NotMet(input.Attestation, found);
    }

    public override string ToString() => $"{Path} is one of [{string.Join(", ", Values)}]";
}

/// <summary><c>exists: true</c> (a value is there, even null) or <c>exists: false</c> (nothing is there).</summary>
public sealed record ExistsCondition(SourceLocation Source, string Path, bool Expected) : PredicateCondition(Source, Path)
{
    public override Finding? Check(ConditionInput input)
    {
        var found = Resolve(input.Predicate);
        return (found is not null) == Expected ? null : NotMet(input.Attestation, found);
    }

    public override string ToString() => Expected ? $"{Path} exists" : $"{Path} is absent";
}

/// <summary><c>matches: REGEX</c>: the scalar at the path matches the whole expression. The expression carries a
/// match timeout; a value that makes it run out denies with its own reason (it is never an error of the server).</summary>
public sealed record MatchesCondition(SourceLocation Source, string Path, Regex Pattern) : PredicateCondition(Source, Path)
{
    public override Finding? Check(ConditionInput input)
    {
        var found = Resolve(input.Predicate);
        if (found is not { } f || JsonPointer.ScalarText(f) is not { } text) return NotMet(input.Attestation, found);
        try
        {
            return Pattern.IsMatch(text) ? null : NotMet(input.Attestation, found);
        }
        catch (RegexMatchTimeoutException)
        {
            return new Finding(AdmissionCodes.ConditionTimeout,
                $"attestation '{input.Attestation}': {this} could not be decided within {Pattern.MatchTimeout.TotalMilliseconds:0} ms on a value of {text.Length} characters, so it does not hold",
                Where());
        }
    }

    public override string ToString() => $"{Path} matches /{Unanchored(Pattern)}/";

    /// <summary>The pattern as the policy wrote it (the parser anchors it as <c>\A(?:…)\z</c>).</summary>
    private static string Unanchored(Regex pattern)
    {
        var text = pattern.ToString();
        return text.StartsWith(@"\A(?:", StringComparison.Ordinal) && text.EndsWith(@")\z", StringComparison.Ordinal) ? text[5..^3] : text;
    }
}

/// <summary><c>cel: EXPR</c>: a CEL expression, compiled and type-checked at load, over <c>predicate</c> (the predicate
/// as CEL values), <c>predicateType</c>, <c>digest</c> (the image digest) and <c>now</c>; it holds when it gives
/// <c>true</c>. Each evaluation has a cost limit, and being stopped by it has its own reason code. It addresses the
/// predicate as a whole, so its <see cref="PredicateCondition.Path"/> is empty.</summary>
public sealed record CelCondition(SourceLocation Source, Cel.CelProgram Program) : PredicateCondition(Source, "")
{
    public override Finding? Check(ConditionInput input)
    {
        var variables = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["predicate"] = input.Predicate is { } predicate ? Cel.CelJson.FromElement(predicate) : Cel.CelNull.Value,
            ["predicateType"] = input.PredicateType,
            ["digest"] = input.Digest.ToString(),
            ["now"] = input.Now,
        };
        var result = Program.Evaluate(variables);
        if (result.CostExceeded)
            return new Finding(AdmissionCodes.AttestationCelCost,
                $"attestation '{input.Attestation}': {this} was stopped after {result.Cost} cost units (the limit is {CelConditionParser.Environment.Limits.MaxCost}); simplify the expression",
                Where());
        if (result.Error is not null)
            return new Finding(AdmissionCodes.AttestationCondition, $"attestation '{input.Attestation}': {this} could not be evaluated: {result.Error}", Where());
        return result.IsTrue
            ? null
            : new Finding(AdmissionCodes.AttestationCondition, $"attestation '{input.Attestation}': {this} is not met (it gives {result.Value})", Where());
    }

    public override string ToString() => $"cel '{Program.Source}'";
}
