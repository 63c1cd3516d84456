using System.Globalization;
using System.Text;
using Attest.Core;

namespace Attest.GoModules.SumDb;

/// <summary>A <c>/lookup/path@version</c> response: the record id, the record text (the go.sum lines of that module
/// version, ending in a newline, no blank lines) and the signed tree note that follows.</summary>
public sealed record SumDbLookup(long RecordId, string RecordText, byte[] SignedNote)
{
    /// <summary>The go.sum lines the record vouches for.</summary>
    public IEnumerable<string> Lines => RecordText.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static bool TryParse(ReadOnlySpan<byte> data, string file, out SumDbLookup? lookup, out Finding? error)
    {
        lookup = null;
        error = null;
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(data);
        }
        catch (DecoderFallbackException)
        {
            error = Bad(file, "lookup is not valid UTF-8");
            return false;
        }
        var firstNewline = text.IndexOf('\n', StringComparison.Ordinal);
        if (firstNewline <= 0) { error = Bad(file, "lookup has no record id line"); return false; }
        var idText = text[..firstNewline];
        if (!idText.All(char.IsAsciiDigit) || (idText.Length > 1 && idText[0] == '0')
            || !long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            error = Bad(file, $"record id \"{idText}\" is not a canonical decimal number");
            return false;
        }
        var rest = text[(firstNewline + 1)..];
        var blank = rest.IndexOf("\n\n", StringComparison.Ordinal);
        if (blank < 0) { error = Bad(file, "lookup has no blank line between the record and the tree note"); return false; }
        var record = rest[..(blank + 1)];
        var note = rest[(blank + 2)..];
        if (record.Length == 0 || record.Contains("\n\n", StringComparison.Ordinal)) { error = Bad(file, "record text is empty or has a blank line"); return false; }
        lookup = new SumDbLookup(id, record, Encoding.UTF8.GetBytes(note));
        return true;
    }

    /// <summary>The record as it is hashed into the log (x/mod <c>tlog.RecordHash</c> input): the record text.</summary>
    public byte[] RecordBytes => Encoding.UTF8.GetBytes(RecordText);

    private static Finding Bad(string file, string message) =>
        FindingFactory.Create(GoSumCodes.SumDbRecordMalformed, $"{file}: {message}", ("file", file));
}
