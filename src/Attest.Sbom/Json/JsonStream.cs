using System.Text.Json;

namespace Attest.Sbom.Json;

/// <summary>
/// Streaming helpers over a buffer the <see cref="JsonGuard"/> has already accepted: the top level is walked with
/// <see cref="Utf8JsonReader"/>, and large arrays are handed over one item at a time as a small
/// <see cref="JsonDocument"/> that is disposed right after use, so the memory held at any moment is the input
/// bytes, the model built so far, and one item.
/// </summary>
internal static class JsonStream
{
    public delegate void PropertyHandler(string name, ref Utf8JsonReader reader);

    /// <summary>Calls <paramref name="handler"/> for every property of the top-level object with the reader on the
    /// value's first token; the handler must consume the whole value (Skip, ParseValue or <see cref="ForEachItem"/>).</summary>
    public static void ForEachTopLevelProperty(ReadOnlySpan<byte> json, SbomLimits limits, PropertyHandler handler)
    {
        var reader = new Utf8JsonReader(json, JsonGuard.ReaderOptions(limits));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            var depth = reader.CurrentDepth;
            handler(name, ref reader);
            if (reader.CurrentDepth != depth)
                throw new InvalidOperationException($"handler for '{name}' did not consume its value");
        }
    }

    /// <summary>Hands each item of the array the reader is on to <paramref name="item"/>; returns false (after
    /// skipping the value) when the value is not an array.</summary>
    public static bool ForEachItem(ref Utf8JsonReader reader, Action<JsonElement, int> item)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return false;
        }
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            item(doc.RootElement, index++);
        }
        return true;
    }

    /// <summary>The value the reader is on as a document the caller disposes.</summary>
    public static JsonDocument Value(ref Utf8JsonReader reader) => JsonDocument.ParseValue(ref reader);

    /// <summary>Reads a scalar string value (or null for other kinds, which are skipped).</summary>
    public static string? StringValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String) return reader.GetString();
        reader.Skip();
        return null;
    }
}
