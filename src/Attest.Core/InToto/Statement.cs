using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Attest.Core.InToto;

/// <summary>One subject of a statement: a name and its digests by algorithm (lowercase hex values).</summary>
public sealed record StatementSubject(string Name, IReadOnlyDictionary<string, string> Digest);

/// <summary>
/// An in-toto Statement (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md), v1 or the older v0.1
/// <c>_type</c>. The predicate is kept as a detached JSON element.
/// </summary>
public sealed class Statement
{
    public const string PayloadType = "application/vnd.in-toto+json";
    public const string TypeV1 = "https://in-toto.io/Statement/v1";
    public const string TypeV01 = "https://in-toto.io/Statement/v0.1";
    public const int MaxSubjects = 1024;
    public const int MaxDigestsPerSubject = 32;
    public const int MaxBytes = 32 << 20;
    public const int MaxDepth = 64;

    private Statement(string type, IReadOnlyList<StatementSubject> subjects, string predicateType, JsonElement? predicate)
    {
        Type = type;
        Subjects = subjects;
        PredicateType = predicateType;
        Predicate = predicate;
    }

    public string Type { get; }

    public IReadOnlyList<StatementSubject> Subjects { get; }

    public string PredicateType { get; }

    public JsonElement? Predicate { get; }

    /// <summary>True when a subject carries <paramref name="algorithm"/> with exactly <paramref name="hex"/> (compared case-insensitively).</summary>
    public bool HasSubjectDigest(string algorithm, string hex) =>
        Subjects.Any(s => s.Digest.TryGetValue(algorithm, out var value) && string.Equals(value, hex, StringComparison.OrdinalIgnoreCase));

    public static bool TryParse(ReadOnlySpan<byte> json, [NotNullWhen(true)] out Statement? statement, [NotNullWhen(false)] out string? error)
    {
        statement = null;
        if (json.Length > MaxBytes) { error = $"statement is larger than {MaxBytes} bytes"; return false; }
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { error = "statement is not a JSON object"; return false; }
            if (!root.TryGetProperty("_type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String) { error = "statement has no _type"; return false; }
            var type = typeElement.GetString()!;
            if (type is not (TypeV1 or TypeV01)) { error = $"statement _type '{type}' is not in-toto v1 or v0.1"; return false; }
            if (!root.TryGetProperty("subject", out var subjectsElement) || subjectsElement.ValueKind != JsonValueKind.Array) { error = "statement has no subject array"; return false; }
            var count = subjectsElement.GetArrayLength();
            if (count == 0) { error = "statement has no subjects"; return false; }
            if (count > MaxSubjects) { error = $"statement has {count} subjects, more than {MaxSubjects}"; return false; }
            var subjects = new List<StatementSubject>(count);
            foreach (var subject in subjectsElement.EnumerateArray())
            {
                if (subject.ValueKind != JsonValueKind.Object) { error = "statement subject is not an object"; return false; }
                var name = subject.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String ? nameElement.GetString()! : "";
                if (!subject.TryGetProperty("digest", out var digestElement) || digestElement.ValueKind != JsonValueKind.Object) { error = $"subject '{name}' has no digest object"; return false; }
                var digests = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var digest in digestElement.EnumerateObject())
                {
                    if (digests.Count == MaxDigestsPerSubject) { error = $"subject '{name}' has more than {MaxDigestsPerSubject} digests"; return false; }
                    if (digest.Value.ValueKind != JsonValueKind.String) { error = $"subject '{name}' digest '{digest.Name}' is not a string"; return false; }
                    if (!digests.TryAdd(digest.Name, digest.Value.GetString()!)) { error = $"subject '{name}' repeats digest '{digest.Name}'"; return false; }
                }
                subjects.Add(new StatementSubject(name, digests));
            }
            var predicateType = root.TryGetProperty("predicateType", out var predicateTypeElement) && predicateTypeElement.ValueKind == JsonValueKind.String
                ? predicateTypeElement.GetString()!
                : "";
            if (predicateType.Length == 0) { error = "statement has no predicateType"; return false; }
            JsonElement? predicate = root.TryGetProperty("predicate", out var predicateElement) ? predicateElement.Clone() : null;
            statement = new Statement(type, subjects, predicateType, predicate);
            error = null;
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) // InvalidOperationException: invalid UTF-8 or a lone surrogate inside a string
        {
            error = $"statement is not valid JSON ({e.Message})";
            return false;
        }
    }
}
