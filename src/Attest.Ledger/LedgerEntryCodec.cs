using Attest.Core.Json;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace Attest.Ledger;

/// <summary>
/// Serializes entries deterministically: members in ordinal key order, no insignificant whitespace, absent
/// fields omitted, times as UTC milliseconds. The entry's own index is part of the bytes, so a row moved to
/// another position no longer matches it (reorders and renumbered deletes are caught at the exact index).
/// </summary>
/// <remarks>The written entry is passed through the RFC 8785 canonicalizer, so <c>details</c> (whose member order is
/// the caller's) and string escapes are canonical too: the same entry always has the same leaf bytes.</remarks>
public static class LedgerEntryCodec
{
    private const int FormatVersion = 1;
    private static readonly JsonDocumentOptions ReadOptions = new()
    {
        MaxDepth = LedgerLimits.MaxJsonDepth,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Validates an entry before it is queued, so a bad entry fails its own append only.</summary>
    public static void Validate(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (string.IsNullOrEmpty(entry.Kind) || entry.Kind.Length > 64 || !entry.Kind.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-'))
            throw new ArgumentException("entry kind must be 1-64 characters of a-z, 0-9, '.', '-'", nameof(entry));
        foreach (var field in new[] { entry.Image, entry.Digest, entry.Namespace, entry.Verdict, entry.Client })
            if (field is { Length: > LedgerLimits.MaxFieldLength })
                throw new ArgumentException($"entry fields are limited to {LedgerLimits.MaxFieldLength} characters", nameof(entry));
        if (entry.Details is { } details && details.ValueKind != JsonValueKind.Object)
            throw new ArgumentException("entry details must be a JSON object", nameof(entry));
        if (entry.ApiVersion is null != entry.Spec is null)
            throw new ArgumentException("a transparency-log entry needs both apiVersion and spec", nameof(entry));
        if (entry.Spec is { } spec && spec.ValueKind != JsonValueKind.Object)
            throw new ArgumentException("entry spec must be a JSON object", nameof(entry));
        if (entry.ApiVersion is { Length: 0 or > 16 })
            throw new ArgumentException("entry apiVersion must be 1-16 characters", nameof(entry));
    }

    public static byte[] Serialize(long index, DateTimeOffset recordedAt, LedgerEntry entry)
    {
        Validate(entry);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false }))
        {
            writer.WriteStartObject();
            // Ordinal key order, as RFC 8785 would sort these ASCII names.
            WriteOptional(writer, "apiVersion", entry.ApiVersion);
            WriteOptional(writer, "client", entry.Client);
            if (entry.Details is { } details)
            {
                writer.WritePropertyName("details");
                details.WriteTo(writer);
            }
            WriteOptional(writer, "digest", entry.Digest);
            WriteOptional(writer, "image", entry.Image);
            writer.WriteNumber("index", index);
            writer.WriteString("kind", entry.Kind);
            WriteOptional(writer, "namespace", entry.Namespace);
            writer.WriteString("recordedAt", FormatTime(recordedAt));
            if (entry.Spec is { } spec)
            {
                writer.WritePropertyName("spec");
                spec.WriteTo(writer);
            }
            writer.WriteNumber("v", FormatVersion);
            WriteOptional(writer, "verdict", entry.Verdict);
            writer.WriteEndObject();
        }
        var bytes = CanonicalJson.Canonicalize(buffer.ToArray());
        if (bytes.Length > LedgerLimits.MaxEntryBytes)
            throw new ArgumentException($"serialized entry is {bytes.Length} bytes, the limit is {LedgerLimits.MaxEntryBytes}", nameof(entry));
        return bytes;
    }

    /// <summary>Reads an entry back from its leaf bytes (size-bounded, strict JSON).</summary>
    public static bool TryParse(byte[] bytes, [NotNullWhen(true)] out SequencedEntry? entry, [NotNullWhen(false)] out string? error)
    {
        entry = null;
        if (bytes.Length > LedgerLimits.MaxEntryBytes)
        {
            error = $"entry is {bytes.Length} bytes, the limit is {LedgerLimits.MaxEntryBytes}";
            return false;
        }
        try
        {
            using var doc = JsonDocument.Parse(bytes, ReadOptions);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { error = "entry is not a JSON object"; return false; }
            if (!root.TryGetProperty("v", out var v) || v.ValueKind != JsonValueKind.Number || v.GetInt32() != FormatVersion)
            { error = "entry has an unknown format version"; return false; }
            if (!root.TryGetProperty("index", out var index) || !index.TryGetInt64(out var idx) || idx < 0)
            { error = "entry has no valid index"; return false; }
            if (!root.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String)
            { error = "entry has no kind"; return false; }
            if (!root.TryGetProperty("recordedAt", out var at) || at.ValueKind != JsonValueKind.String ||
                !DateTimeOffset.TryParseExact(at.GetString(), "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var recordedAt))
            { error = "entry has no valid recordedAt"; return false; }
            var parsed = new LedgerEntry
            {
                Kind = kind.GetString()!,
                Client = Optional(root, "client"),
                Digest = Optional(root, "digest"),
                Image = Optional(root, "image"),
                Namespace = Optional(root, "namespace"),
                Verdict = Optional(root, "verdict"),
                Details = root.TryGetProperty("details", out var details) ? details.Clone() : null,
                ApiVersion = Optional(root, "apiVersion"),
                Spec = root.TryGetProperty("spec", out var spec) ? spec.Clone() : null,
            };
            entry = new SequencedEntry(idx, recordedAt, parsed, bytes);
            error = null;
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            error = $"entry is not valid JSON: {e.Message}";
            return false;
        }
    }

    /// <summary>The audit's fast path: checks that the bytes are one well-formed JSON object of this format
    /// (strict syntax, depth limit, known version) and returns its index, without building a document.</summary>
    public static bool TryReadIndex(ReadOnlySpan<byte> bytes, out long index, [NotNullWhen(false)] out string? error)
    {
        index = -1;
        if (bytes.Length > LedgerLimits.MaxEntryBytes)
        {
            error = $"entry is {bytes.Length} bytes, the limit is {LedgerLimits.MaxEntryBytes}";
            return false;
        }
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = LedgerLimits.MaxJsonDepth });
        var version = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "entry is not a JSON object";
                return false;
            }
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    var isIndex = reader.ValueTextEquals("index"u8);
                    var isVersion = !isIndex && reader.ValueTextEquals("v"u8);
                    reader.Read();
                    if (isIndex && (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out index))) index = -1;
                    if (isVersion && (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out version))) version = 0;
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
                }
            }
            // The reader has now seen the whole object; trailing bytes would have thrown.
        }
        catch (JsonException e)
        {
            error = $"entry is not valid JSON: {e.Message}";
            return false;
        }
        if (version != FormatVersion || index < 0)
        {
            error = version != FormatVersion ? "entry has an unknown format version" : "entry has no valid index";
            return false;
        }
        error = null;
        return true;
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null) writer.WriteString(name, value);
    }

    private static string? Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
