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
        var keySets = new List<KeySet>();
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
                                $"The document nests deeper than {limits.MaxDepth} levels at {PathOf(frames, json)}.",
                                new Dictionary<string, string> { ["path"] = PathOf(frames, json), ["limit"] = limits.MaxDepth.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                        var isObject = reader.TokenType == JsonTokenType.StartObject;
                        if (isObject)
                        {
                            var depth = frames.Count;
                            while (keySets.Count <= depth) keySets.Add(new KeySet());
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
                            return StringTooLong(frames, json, limits);
                        var top = frames.Count - 1;
                        if (!keySets[top].Add(ref reader, json))
                        {
                            var name = reader.GetString()!;
                            frames[top] = frames[top] with { Property = name };
                            return new Finding(SbomCodes.InputDuplicateKey,
                                $"Property '{Short(name)}' appears twice in the same object at {PathOf(frames, json)}; duplicate keys make the document ambiguous.",
                                new Dictionary<string, string> { ["path"] = PathOf(frames, json), ["key"] = Short(name) });
                        }
                        frames[top] = frames[top] with { PropertyStart = (int)reader.TokenStartIndex };
                        break;
                    }
                    case JsonTokenType.String:
                        AdvanceArrayIndex(frames);
                        if (TooLong(ref reader, limits))
                            return StringTooLong(frames, json, limits);
                        // The readers decode strings later; an escape that decodes to no text (a lone surrogate) is
                        // refused here, with the other malformed JSON, rather than there as an exception.
                        if (reader.ValueIsEscaped) reader.GetString();
                        break;
                    default:
                        AdvanceArrayIndex(frames);
                        break;
                }
            }
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString on an escape such as "\ud800" that decodes to no valid text (property names are
            // decoded for the duplicate check; escaped values above).
            return new Finding(SbomCodes.InputInvalidJson,
                $"The document is not valid JSON: a string escape decodes to no valid text ({e.Message})",
                new Dictionary<string, string> { ["path"] = "$" });
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

    /// <summary>Position in the document: array index, or the current property (its name is decoded only when a
    /// finding needs the path).</summary>
    internal readonly record struct Frame(bool IsObject, int Index, string? Property, int PropertyStart = -1);

    /// <summary>The property names of one object, compared as raw UTF-8 (unescaped first when written with escapes);
    /// a linear scan for the usual handful of keys, a hash set once an object has many.</summary>
    private sealed class KeySet
    {
        private readonly List<(int Start, int Length)> _raw = [];
        private readonly List<byte[]> _unescaped = [];
        private HashSet<string>? _many;

        public void Clear()
        {
            _raw.Clear();
            _unescaped.Clear();
            _many = null;
        }

        public bool Add(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
        {
            if (_many is not null) return _many.Add(reader.GetString()!);
            ReadOnlySpan<byte> name;
            byte[]? copy = null;
            if (!reader.ValueIsEscaped && !reader.HasValueSequence)
                name = reader.ValueSpan;
            else
            {
                copy = System.Text.Encoding.UTF8.GetBytes(reader.GetString()!);
                name = copy;
            }
            foreach (var (start, length) in _raw)
                if (name.SequenceEqual(json.Slice(start, length))) return false;
            foreach (var other in _unescaped)
                if (name.SequenceEqual(other)) return false;
            if (copy is not null) _unescaped.Add(copy);
            else _raw.Add(((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length));
            if (_raw.Count + _unescaped.Count > 32)
            {
                _many = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (start, length) in _raw) _many.Add(System.Text.Encoding.UTF8.GetString(json.Slice(start, length)));
                foreach (var other in _unescaped) _many.Add(System.Text.Encoding.UTF8.GetString(other));
            }
            return true;
        }
    }

    private static void AdvanceArrayIndex(List<Frame> frames)
    {
        if (frames.Count == 0) return;
        var top = frames[^1];
        if (!top.IsObject) frames[^1] = top with { Index = top.Index + 1 };
    }

    private static bool TooLong(ref Utf8JsonReader reader, SbomLimits limits) =>
        (reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length) > limits.MaxStringBytes;

    private static Finding StringTooLong(List<Frame> frames, ReadOnlySpan<byte> json, SbomLimits limits) =>
        new(SbomCodes.InputStringTooLong,
            $"A string at {PathOf(frames, json)} is longer than {limits.MaxStringBytes} bytes.",
            new Dictionary<string, string> { ["path"] = PathOf(frames, json), ["limit"] = limits.MaxStringBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    internal static string PathOf(List<Frame> frames, ReadOnlySpan<byte> json)
    {
        var sb = new StringBuilder("$");
        foreach (var f in frames)
        {
            if (f.IsObject)
            {
                var name = f.Property;
                if (name is null && f.PropertyStart >= 0)
                {
                    var nameReader = new Utf8JsonReader(json[f.PropertyStart..]);
                    name = nameReader.Read() && nameReader.TokenType == JsonTokenType.String ? nameReader.GetString() : null;
                }
                if (name is not null) sb.Append(JsonPath.Member(name));
            }
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
