using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Attest.Core.Transparency;

namespace Attest.Ledger.Witnessing;

/// <summary>
/// The body of c2sp.org/tlog-witness <c>POST &lt;submission prefix&gt;/add-checkpoint</c>: an <c>old N</c> line, at
/// most 63 consistency-proof hash lines (base64), an empty line, then the signed checkpoint note.
/// </summary>
public sealed record AddCheckpointRequest(long OldSize, IReadOnlyList<byte[]> Proof, byte[] Checkpoint)
{
    /// <summary>The specification's limit on proof lines.</summary>
    public const int MaxProofLines = 63;

    /// <summary>Largest body a witness reads: the proof lines plus the largest note.</summary>
    public const int MaxBytes = 16 + MaxProofLines * 45 + 1 + TransparencyLimits.MaxNoteBytes;

    public const string ContentType = "text/plain; charset=utf-8";

    /// <summary>The 409 body's content type: the witness's latest cosigned size.</summary>
    public const string SizeContentType = "text/x.tlog.size";

    public byte[] ToBytes()
    {
        var head = new StringBuilder("old ").Append(OldSize.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var hash in Proof) head.Append(Convert.ToBase64String(hash)).Append('\n');
        head.Append('\n');
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. Checkpoint];
    }

    /// <summary>Parses a request body; the checkpoint note is returned as bytes, unparsed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, [NotNullWhen(true)] out AddCheckpointRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        if (body.Length > MaxBytes)
        {
            error = $"request is larger than {MaxBytes} bytes";
            return false;
        }
        var at = 0;
        string? NextLine(ReadOnlySpan<byte> bytes)
        {
            var end = bytes[at..].IndexOf((byte)'\n');
            if (end < 0) return null;
            var line = Encoding.ASCII.GetString(bytes.Slice(at, end));
            at += end + 1;
            return line;
        }
        var first = NextLine(body);
        if (first is null || !first.StartsWith("old ", StringComparison.Ordinal) || !TryParseSize(first[4..], out var oldSize))
        {
            error = "the first line must be 'old <size>' (decimal, no leading zeros)";
            return false;
        }
        var proof = new List<byte[]>();
        while (true)
        {
            var line = NextLine(body);
            if (line is null)
            {
                error = "no empty line before the checkpoint";
                return false;
            }
            if (line.Length == 0) break;
            if (proof.Count == MaxProofLines)
            {
                error = $"more than {MaxProofLines} consistency proof lines";
                return false;
            }
            var hash = DecodeHash(line);
            if (hash is null)
            {
                error = "a consistency proof line is not the base64 of a 32-byte hash";
                return false;
            }
            proof.Add(hash);
        }
        request = new AddCheckpointRequest(oldSize, proof, body[at..].ToArray());
        error = null;
        return true;
    }

    /// <summary>Canonical decimal, as tree sizes are written in checkpoints and size lines.</summary>
    public static bool TryParseSize(string text, out long size)
    {
        size = -1;
        return text.Length is > 0 and <= 19 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0') &&
               long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out size);
    }

    private static byte[]? DecodeHash(string line)
    {
        if (line.Length != 44) return null;
        var buffer = new byte[33];
        if (!Convert.TryFromBase64String(line, buffer, out var written) || written != MerkleHash.Size) return null;
        var hash = buffer[..MerkleHash.Size];
        return Convert.ToBase64String(hash) == line ? hash : null;
    }
}
