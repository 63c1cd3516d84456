using System.Text.Json;
using System.Text.RegularExpressions;
using Attest.Core;
using Attest.Policy.Evaluation;

namespace Attest.Policy.Model;

/// <summary>
/// A check on one value of an attestation's predicate, addressed by a JSON pointer (RFC 6901). Each kind says
/// itself whether it holds and, when not, why: new kinds (CEL expressions, vulnerability gates) are new subclasses,
/// and the judge needs no change.
/// </summary>
public abstract record PredicateCondition(SourceLocation Source, string Path)
{
    /// <summary>Null when the condition holds for <paramref name="predicate"/>; otherwise the reason it does not,
    /// naming the attestation requirement.</summary>
    public abstract Finding? Check(JsonElement? predicate, string attestation);

    /// <summary>The value at <see cref="Path"/>, or null when the predicate has none there.</summary>
    protected JsonElement? Resolve(JsonElement? predicate) =>
        predicate is { } p && JsonPointer.TryResolve(p, Path, out var value) ? value : null;

    protected Finding NotMet(string attestation, JsonElement? found) =>
        new(AdmissionCodes.AttestationCondition,
            $"attestation '{attestation}': {this} is not met (found {(found is { } f ? Shorten(JsonPointer.ScalarText(f) ?? f.GetRawText()) : "nothing")})",
            new Dictionary<string, string> { ["condition"] = ToString(), ["at"] = Source.ToString() });

    private static string Shorten(string text) => text.Length <= 120 ? $"'{text}'" : $"'{text[..120]}…'";
}

/// <summary><c>equals: VALUE</c>: the scalar at the path, as text, is exactly the value.</summary>
public sealed record EqualsCondition(SourceLocation Source, string Path, string Value) : PredicateCondition(Source, Path)
{
    public override Finding? Check(JsonElement? predicate, string attestation)
    {
        var found = Resolve(predicate);
        return found is { } f && JsonPointer.ScalarText(f) == Value ? null : NotMet(attestation, found);
    }

    public override string ToString() => $"{Path} equals '{Value}'";
}

/// <summary><c>oneOf: [A, B]</c>: the scalar at the path is one of the values.</summary>
public sealed record OneOfCondition(SourceLocation Source, string Path, IReadOnlyList<string> Values) : PredicateCondition(Source, Path)
{
    public override Finding? Check(JsonElement? predicate, string attestation)
    {
        var found = Resolve(predicate);
        return found is { } f && JsonPointer.ScalarText(f) is { } text && Values.Contains(text) ? null : NotMet(attestation, found);
    }

    public override string ToString() => $"{Path} is one of [{string.Join(", ", Values)}]";
}

/// <summary><c>exists: true</c> (a value is there, even null) or <c>exists: false</c> (nothing is there).</summary>
public sealed record ExistsCondition(SourceLocation Source, string Path, bool Expected) : PredicateCondition(Source, Path)
{
    public override Finding? Check(JsonElement? predicate, string attestation)
    {
        var found = Resolve(predicate);
        return (found is not null) == Expected ? null : NotMet(attestation, found);
    }

    public override string ToString() => Expected ? $"{Path} exists" : $"{Path} is absent";
}

/// <summary><c>matches: REGEX</c>: the scalar at the path matches the whole expression. The expression carries a
/// match timeout; a value that makes it run out denies with its own reason (it is never an error of the server).</summary>
public sealed record MatchesCondition(SourceLocation Source, string Path, Regex Pattern) : PredicateCondition(Source, Path)
{
    public override Finding? Check(JsonElement? predicate, string attestation)
    {
        var found = Resolve(predicate);
        if (found is not { } f || JsonPointer.ScalarText(f) is not { } text) return NotMet(attestation, found);
        try
        {
            return Pattern.IsMatch(text) ? null : NotMet(attestation, found);
        }
        catch (RegexMatchTimeoutException)
        {
            return new Finding(AdmissionCodes.ConditionTimeout,
                $"attestation '{attestation}': {this} could not be decided within {Pattern.MatchTimeout.TotalMilliseconds:0} ms on a value of {text.Length} characters, so it does not hold",
                new Dictionary<string, string> { ["condition"] = ToString(), ["at"] = Source.ToString() });
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
