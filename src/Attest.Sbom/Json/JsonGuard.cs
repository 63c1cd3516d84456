using System.Text;
using System.Text.Json;
using Attest.Core;

namespace Attest.Sbom.Json;

/// <summary>
/// First pass over hostile bytes, before any reader builds a model: byte cap, UTF-8 validity, then one streaming
/// pass with <see cref="Utf8JsonReader"/> (strict: no comments, no trailing commas) that enforces nesting depth and
/// string length and rejects duplicate property names (RFC 8259 §4 leaves them undefined; two readers of one SBOM
/// must not see two different documents). Returns the first problem as a finding, or null.
/// </summary>
internal static class JsonGuard
{
    public static JsonReaderOptions ReaderOptions(SbomLimits limits) => new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        // One more than the limit so that the guard, not the reader, reports the depth with a path.
        MaxDepth = limits.MaxDepth + 1,
    };

    /// <summary>Strips a UTF-8 byte order mark (tolerated, as JSON parsers commonly do).</summary>
    public static ReadOnlyMemory<byte> StripBom(ReadOnlyMemory<byte> bytes) =>
        bytes.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? bytes[3..] : bytes;

    public static Finding? Check(ReadOnlySpan<byte> json, SbomLimits limits)
    {
        if (json.Length > limits.MaxBytes)
            return new Finding(SbomCodes.InputTooLarge,
                $"The document is {json.Length} bytes; the limit is {limits.MaxBytes} bytes.",
                new Dictionary<string, string> { ["bytes"] = json.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), ["limit"] = limits.MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            var offset = FirstInvalidUtf8(json);
            return new Finding(SbomCodes.InputInvalidUtf8,
                $"The document is not valid UTF-8 (first invalid byte at offset {offset}); JSON must be UTF-8 (RFC 8259 §8.1).",
                new Dictionary<string, string> { ["offset"] = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
        if (json.IsEmpty)
            return new Finding(SbomCodes.InputInvalidJson, "The document is empty.");

        var reader = new Utf8JsonReader(json, ReaderOptions(limits));
        var frames = new List<Frame>(limits.MaxDepth + 1);
        var keySets = new List<HashSet<string>>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        AdvanceArrayIndex(frames);
                        if (frames.Count >= limits.MaxDepth)
                            return new Finding(SbomCodes.InputTooDeep,
                                $"The document nests deeper than {limits.MaxDepth} levels at {PathOf(frames)}.",
                                new Dictionary<string, string> { ["path"] = PathOf(frames), ["limit"] = limits.MaxDepth.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                        var isObject = reader.TokenType == JsonTokenType.StartObject;
                        if (isObject)
                        {
                            var depth = frames.Count;
                            while (keySets.Count <= depth) keySets.Add(new HashSet<string>(StringComparer.Ordinal));
                            keySets[depth].Clear();
                        }
                        frames.Add(new Frame(isObject, -1, null));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                    {
                        if (TooLong(ref reader, limits))
                            return StringTooLong(frames, limits);
                        var name = reader.GetString()!;
                        var top = frames.Count - 1;
                        frames[top] = frames[top] with { Property = name };
                        if (!keySets[top].Add(name))
                            return new Finding(SbomCodes.InputDuplicateKey,
                                $"Property '{Short(name)}' appears twice in the same object at {PathOf(frames)}; duplicate keys make the document ambiguous.",
                                new Dictionary<string, string> { ["path"] = PathOf(frames), ["key"] = Short(name) });
                        break;
                    }
                    case JsonTokenType.String:
                        AdvanceArrayIndex(frames);
                        if (TooLong(ref reader, limits))
                            return StringTooLong(frames, limits);
                        break;
                    default:
                        AdvanceArrayIndex(frames);
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            return new Finding(SbomCodes.InputInvalidJson,
                $"The document is not valid JSON: {e.Message}",
                new Dictionary<string, string>
                {
                    ["line"] = ((e.LineNumber ?? 0) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["bytePositionInLine"] = (e.BytePositionInLine ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                });
        }
        return null;
    }

    internal readonly record struct Frame(bool IsObject, int Index, string? Property);

    private static void AdvanceArrayIndex(List<Frame> frames)
    {
        if (frames.Count == 0) return;
        var top = frames[^1];
        if (!top.IsObject) frames[^1] = top with { Index = top.Index + 1 };
    }

    private static bool TooLong(ref Utf8JsonReader reader, SbomLimits limits) =>
        (reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length) > limits.MaxStringBytes;

    private static Finding StringTooLong(List<Frame> frames, SbomLimits limits) =>
        new(SbomCodes.InputStringTooLong,
            $"A string at {PathOf(frames)} is longer than {limits.MaxStringBytes} bytes.",
            new Dictionary<string, string> { ["path"] = PathOf(frames), ["limit"] = limits.MaxStringBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    internal static string PathOf(List<Frame> frames)
    {
        var sb = new StringBuilder("$");
        foreach (var f in frames)
        {
            if (f.IsObject) { if (f.Property is not null) sb.Append(JsonPath.Member(f.Property)); }
            else if (f.Index >= 0) sb.Append('[').Append(f.Index).Append(']');
        }
        return sb.ToString();
    }

    private static long FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Buffers.OperationStatus.Done != Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed)) return offset;
            offset += consumed;
        }
        return offset;
    }

    private static string Short(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
