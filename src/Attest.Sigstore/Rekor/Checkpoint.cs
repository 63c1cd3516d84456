using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Attest.Core;

namespace Attest.Sigstore.Rekor;

/// <summary>One signature line of a signed note: <c>— name base64(keyHint ‖ signature)</c>.</summary>
public sealed record NoteSignature(string Name, byte[] KeyHint, byte[] Signature);

/// <summary>
/// A transparency log checkpoint in C2SP signed-note form (c2sp.org/tlog-checkpoint, c2sp.org/signed-note):
/// <c>origin\nsize\nbase64(root)\n[extension lines\n]\n— name sig\n…</c>.
/// TODO: replace with Attest.Core.Transparency once the checkpoint/signed-note parser is merged into main.
/// </summary>
public sealed record Checkpoint(string Origin, long Size, byte[] RootHash, IReadOnlyList<string> Extensions, byte[] SignedText, IReadOnlyList<NoteSignature> Signatures)
{
    private const string SignaturePrefix = "\u2014 ";

    public static bool TryParse(string note, int maxSignatures, [NotNullWhen(true)] out Checkpoint? checkpoint, [NotNullWhen(false)] out string? error)
    {
        checkpoint = null;
        var split = note.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) return Error("the checkpoint has no blank line between its text and its signatures", out error);
        var text = note[..(split + 1)];
        var signatureBlock = note[(split + 2)..];
        if (text.Contains('\r', StringComparison.Ordinal)) return Error("the checkpoint text contains a carriage return", out error);
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3) return Error("the checkpoint text needs an origin, a size and a root hash line", out error);
        var origin = lines[0];
        if (origin.Length == 0) return Error("the checkpoint has an empty origin line", out error);
        if (lines[1].Length == 0 || lines[1].Length > 20 || !lines[1].All(char.IsAsciiDigit) || (lines[1].Length > 1 && lines[1][0] == '0')
            || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            return Error("the checkpoint size line is not a decimal tree size", out error);
        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            return Error("the checkpoint root hash line is not base64", out error);
        }
        if (root.Length != 32) return Error("the checkpoint root hash is not 32 bytes", out error);
        if (!signatureBlock.EndsWith('\n')) return Error("the checkpoint signature block does not end with a newline", out error);
        var signatures = new List<NoteSignature>();
        foreach (var line in signatureBlock[..^1].Split('\n'))
        {
            if (signatures.Count == maxSignatures) return Error($"the checkpoint has more than {maxSignatures} signatures", out error);
            if (!line.StartsWith(SignaturePrefix, StringComparison.Ordinal)) return Error("a checkpoint signature line does not start with an em dash", out error);
            var rest = line[SignaturePrefix.Length..];
            var space = rest.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || rest.IndexOf(' ', space + 1) >= 0) return Error("a checkpoint signature line is not 'name signature'", out error);
            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(rest[(space + 1)..]);
            }
            catch (FormatException)
            {
                return Error("a checkpoint signature is not base64", out error);
            }
            if (blob.Length < 5) return Error("a checkpoint signature is too short", out error);
            signatures.Add(new NoteSignature(rest[..space], blob[..4], blob[4..]));
        }
        if (signatures.Count == 0) return Error("the checkpoint has no signatures", out error);
        checkpoint = new Checkpoint(origin, size, root, lines[3..], Encoding.UTF8.GetBytes(text), signatures);
        error = null;
        return true;
    }

    private static bool Error(string message, out string error)
    {
        error = message;
        return false;
    }
}
