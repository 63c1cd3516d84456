using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Attest.Ledger;

/// <summary>
/// The search columns of an entry row (<c>kind</c>, <c>recorded_at</c>, <c>image</c>, <c>digest</c>, <c>namespace</c>,
/// <c>verdict</c>, <c>client</c>) are copies of members of the hashed body, kept beside it so that filters are index
/// lookups. Only the body is covered by the Merkle tree, so every reader that relies on a column — the replay of an
/// audit, a query's answer — checks it against the body first: a column is correct when it holds exactly the body's
/// string member of that name, and NULL exactly when the body has none. One pass over the body, no document built.
/// </summary>
public static class LedgerColumns
{
    /// <summary>Column names as the schema and findings name them, in <see cref="StoredColumns"/> order.</summary>
    public static readonly string[] Names = ["kind", "recorded_at", "image", "digest", "namespace", "verdict", "client"];

    private static readonly byte[][] Members = [.. new[] { "kind", "recordedAt", "image", "digest", "namespace", "verdict", "client" }.Select(System.Text.Encoding.UTF8.GetBytes)];

    /// <summary>Reads the body once (strict syntax, depth limit): its format version and index, and, when
    /// <paramref name="columns"/> are given, the first column that does not say what the body says.</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, StoredColumns? columns, out long index, out string? mismatchedColumn, [NotNullWhen(false)] out string? error)
    {
        index = -1;
        mismatchedColumn = null;
        if (body.Length > LedgerLimits.MaxEntryBytes)
        {
            error = $"entry is {body.Length} bytes, the limit is {LedgerLimits.MaxEntryBytes}";
            return false;
        }
        Span<bool> seen = stackalloc bool[Members.Length];
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = LedgerLimits.MaxJsonDepth });
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
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
                var member = Member(ref reader);
                var isIndex = member < 0 && reader.ValueTextEquals("index"u8);
                var isVersion = member < 0 && !isIndex && reader.ValueTextEquals("v"u8);
                reader.Read();
                if (isIndex && (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out index))) index = -1;
                if (isVersion && (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out version))) version = 0;
                if (member >= 0 && columns is not null && mismatchedColumn is null)
                {
                    seen[member] = true;
                    var stored = Column(columns, member);
                    if (reader.TokenType != JsonTokenType.String || stored is null || !reader.ValueTextEquals(stored)) mismatchedColumn = Names[member];
                }
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
            }
        }
        catch (JsonException e)
        {
            error = $"entry is not valid JSON: {e.Message}";
            return false;
        }
        if (version != LedgerEntryCodec.FormatVersion || index < 0)
        {
            error = version != LedgerEntryCodec.FormatVersion ? "entry has an unknown format version" : "entry has no valid index";
            return false;
        }
        if (columns is not null && mismatchedColumn is null)
        {
            // A column with a value the body does not have.
            for (var i = 0; i < Members.Length && mismatchedColumn is null; i++)
                if (!seen[i] && Column(columns, i) is not null) mismatchedColumn = Names[i];
        }
        error = null;
        return true;
    }

    /// <summary>The first column of <paramref name="row"/> that disagrees with its body; null when all agree, or when
    /// the row carries no columns or the body cannot be read (other checks report that).</summary>
    public static string? FirstMismatch(StoredEntry row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Columns is null) return null;
        return TryRead(row.Body, row.Columns, out _, out var mismatch, out _) ? mismatch : null;
    }

    private static int Member(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < Members.Length; i++)
            if (reader.ValueTextEquals(Members[i])) return i;
        return -1;
    }

    private static string? Column(StoredColumns columns, int member) => member switch
    {
        0 => columns.Kind,
        1 => columns.RecordedAt,
        2 => columns.Image,
        3 => columns.Digest,
        4 => columns.Namespace,
        5 => columns.Verdict,
        _ => columns.Client,
    };
}
