using System.Buffers;
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
    internal const int FormatVersion = 1;
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
        foreach (var field in new[] { entry.Image, entry.Digest, entry.Namespace, entry.Verdict, entry.Client, entry.Identity })
            if (field is { Length: > LedgerLimits.MaxFieldLength })
                throw new ArgumentException($"entry fields are limited to {LedgerLimits.MaxFieldLength} characters", nameof(entry));
        if (entry.Details is { } details && details.ValueKind != JsonValueKind.Object)
            throw new ArgumentException("entry details must be a JSON object", nameof(entry));
        if (entry.ApiVersion is null != entry.Spec is null)
            throw new ArgumentException("a transparency-log entry needs both apiVersion and spec", nameof(entry));
        // The stores index transparency-log entries by kind: a body under another kind would be one no lookup finds.
        if (entry.Spec is not null && !LedgerEntryKinds.TransparencyLog.Contains(entry.Kind))
            throw new ArgumentException($"only entries of kind {string.Join(", ", LedgerEntryKinds.TransparencyLog.Order(StringComparer.Ordinal))} are transparency-log bodies, not '{entry.Kind}'", nameof(entry));
        if (entry.Spec is { } spec && spec.ValueKind != JsonValueKind.Object)
            throw new ArgumentException("entry spec must be a JSON object", nameof(entry));
        if (entry.ApiVersion is { Length: 0 or > 16 })
            throw new ArgumentException("entry apiVersion must be 1-16 characters", nameof(entry));
    }

    public static byte[] Serialize(long index, DateTimeOffset recordedAt, LedgerEntry entry)
    {
        var prepared = Prepare(entry);
        Span<byte> time = stackalloc byte[TimeLength];
        WriteTime(recordedAt, time);
        return prepared.Build(index, time);
    }

    /// <summary>Length of <see cref="FormatTime"/>'s output (years 0001-9999).</summary>
    internal const int TimeLength = 24;

    /// <summary>Writes <see cref="FormatTime"/> as UTF-8 into exactly <see cref="TimeLength"/> bytes.</summary>
    internal static void WriteTime(DateTimeOffset time, Span<byte> destination)
    {
        if (!time.UtcDateTime.TryFormat(destination, out var written, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) || written != TimeLength)
            throw new ArgumentOutOfRangeException(nameof(time), "time cannot be written in the entry format");
    }

    /// <summary>
    /// Does the costly part of serializing (validation, RFC 8785 canonicalization of the fields and details) once,
    /// before the entry has an index: the sequencer then only splices in index and time. Canonical member order
    /// puts every caller-supplied member before <c>index</c>, between <c>kind</c> and <c>recordedAt</c>, or after
    /// <c>recordedAt</c> (<c>spec</c>, <c>v</c>, <c>verdict</c>), so the entry is three fixed byte runs around those two values.
    /// </summary>
    internal static PreparedEntry Prepare(LedgerEntry entry)
    {
        Validate(entry);
        var scratch = Attest.Core.IO.ScratchBuffer.Rent();
        try
        {
            scratch.Write("{"u8);
            // Members in ordinal key order, as RFC 8785 sorts these ASCII names.
            var first = true;
            WriteMember(scratch, "apiVersion", entry.ApiVersion, ref first);
            WriteMember(scratch, "client", entry.Client, ref first);
            if (entry.Details is { } details)
            {
                scratch.Write(first ? "\"details\":"u8 : ",\"details\":"u8);
                first = false;
                CanonicalJson.WriteCanonical(details, scratch);
            }
            WriteMember(scratch, "digest", entry.Digest, ref first);
            WriteMember(scratch, "identity", entry.Identity, ref first);
            WriteMember(scratch, "image", entry.Image, ref first);
            scratch.Write(first ? "\"index\":"u8 : ",\"index\":"u8);
            var head = Attest.Core.IO.ScratchBuffer.TakeWritten(scratch);

            scratch.Write(",\"kind\":"u8);
            CanonicalJson.WriteString(entry.Kind, scratch);
            var following = false; // kind (and v) always precede: every member after them takes a comma
            WriteMember(scratch, "namespace", entry.Namespace, ref following);
            scratch.Write(",\"recordedAt\":\""u8);
            var middle = Attest.Core.IO.ScratchBuffer.TakeWritten(scratch);

            scratch.Write("\""u8);
            if (entry.Spec is { } spec)
            {
                scratch.Write(",\"spec\":"u8);
                CanonicalJson.WriteCanonical(spec, scratch);
            }
            scratch.Write(",\"v\":"u8);
            scratch.Write(FormatVersionText);
            WriteMember(scratch, "verdict", entry.Verdict, ref following);
            scratch.Write("}"u8);
            var tail = Attest.Core.IO.ScratchBuffer.TakeWritten(scratch);

            var prepared = new PreparedEntry(head, middle, tail);
            if (prepared.MinimumLength > LedgerLimits.MaxEntryBytes)
                throw new ArgumentException($"serialized entry is at least {prepared.MinimumLength} bytes, the limit is {LedgerLimits.MaxEntryBytes}", nameof(entry));
            return prepared;
        }
        catch (FormatException e)
        {
            // Duplicate member names, lone surrogates, non-finite numbers: not representable canonically.
            throw new ArgumentException($"entry cannot be serialized canonically: {e.Message}", nameof(entry), e);
        }
        finally
        {
            Attest.Core.IO.ScratchBuffer.Return(scratch);
        }
    }

    private static ReadOnlySpan<byte> FormatVersionText => "1"u8;

    private static void WriteMember(ArrayBufferWriter<byte> output, string name, string? value, ref bool first)
    {
        if (value is null) return;
        if (!first) output.Write(","u8);
        first = false;
        CanonicalJson.WriteString(name, output);
        output.Write(":"u8);
        CanonicalJson.WriteString(value, output);
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
                Identity = Optional(root, "identity"),
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
    public static bool TryReadIndex(ReadOnlySpan<byte> bytes, out long index, [NotNullWhen(false)] out string? error) =>
        LedgerColumns.TryRead(bytes, columns: null, out index, out _, out error);

    private static string? Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>An entry serialized up to its index and time: <c>head</c> INDEX <c>middle</c> TIME <c>tail</c>.</summary>
internal sealed class PreparedEntry(byte[] head, byte[] middle, byte[] tail)
{
    /// <summary>Length with a one-digit index.</summary>
    public int MinimumLength => head.Length + 1 + middle.Length + LedgerEntryCodec.TimeLength + tail.Length;

    /// <summary>The entry's leaf bytes at <paramref name="index"/>; throws <see cref="ArgumentException"/> when they
    /// exceed <see cref="LedgerLimits.MaxEntryBytes"/>.</summary>
    public byte[] Build(long index, ReadOnlySpan<byte> time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (time.Length != LedgerEntryCodec.TimeLength) throw new ArgumentException("time must be in the entry format", nameof(time));
        Span<byte> digits = stackalloc byte[20];
        index.TryFormat(digits, out var digitCount, default, CultureInfo.InvariantCulture);
        var length = head.Length + digitCount + middle.Length + time.Length + tail.Length;
        if (length > LedgerLimits.MaxEntryBytes)
            throw new ArgumentException($"serialized entry is {length} bytes, the limit is {LedgerLimits.MaxEntryBytes}", nameof(index));
        var bytes = new byte[length];
        var at = bytes.AsSpan();
        head.CopyTo(at);
        at = at[head.Length..];
        digits[..digitCount].CopyTo(at);
        at = at[digitCount..];
        middle.CopyTo(at);
        at = at[middle.Length..];
        time.CopyTo(at);
        tail.CopyTo(at[time.Length..]);
        return bytes;
    }
}
