using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Attest.Core.Transparency;

/// <summary>
/// A c2sp.org/tlog-checkpoint body: origin line, decimal tree size, base64 RFC 6962 root, then optional
/// non-empty extension lines. Only meaningful inside a <see cref="SignedNote"/> that verified.
/// </summary>
public sealed record Checkpoint
{
    public Checkpoint(string origin, long size, byte[] rootHash, IReadOnlyList<string>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(origin);
        ArgumentNullException.ThrowIfNull(rootHash);
        if (origin.Length == 0 || origin.Length > TransparencyLimits.MaxKeyNameLength || origin.Any(c => c < 0x20 || c == 0x7f))
            throw new ArgumentException("checkpoint origin must be one non-empty line", nameof(origin));
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (rootHash.Length != MerkleHash.Size) throw new ArgumentException("checkpoint roots are 32 bytes", nameof(rootHash));
        extensions ??= [];
        if (extensions.Any(e => e.Length == 0 || e.Any(c => c < 0x20 || c == 0x7f)))
            throw new ArgumentException("checkpoint extension lines must be non-empty single lines", nameof(extensions));
        Origin = origin;
        Size = size;
        RootHash = rootHash;
        Extensions = extensions;
    }

    public string Origin { get; }

    public long Size { get; }

    public byte[] RootHash { get; }

    public IReadOnlyList<string> Extensions { get; }

    /// <summary>The note text this checkpoint is signed as.</summary>
    public string ToNoteText()
    {
        var sb = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(RootHash)).Append('\n');
        foreach (var e in Extensions) sb.Append(e).Append('\n');
        return sb.ToString();
    }

    public SignedNote Sign(params NoteSigner[] signers) => SignedNote.Sign(ToNoteText(), signers);

    /// <summary>Parses a checkpoint body (a verified note's text).</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out Checkpoint? checkpoint, [NotNullWhen(false)] out Finding? error)
    {
        checkpoint = null;
        if (!SignedNote.IsValidText(text))
        {
            error = Malformed("checkpoint text must end in a newline and contain no control characters");
            return false;
        }
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3 || lines.Length > TransparencyLimits.MaxNoteTextLines)
        {
            error = Malformed("checkpoint needs an origin, a size and a root hash line");
            return false;
        }
        var origin = lines[0];
        var sizeText = lines[1];
        // Decimal, no sign, no leading zeros: one spelling per size.
        if (origin.Length == 0 || origin.Length > TransparencyLimits.MaxKeyNameLength ||
            sizeText.Length == 0 || !sizeText.All(char.IsAsciiDigit) || sizeText.Length > 1 && sizeText[0] == '0' ||
            !long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            error = Malformed("checkpoint origin is empty or its size is not a canonical decimal number");
            return false;
        }
        var root = NoteEncoding.DecodeBase64Strict(lines[2]);
        if (root is not { Length: MerkleHash.Size })
        {
            error = Malformed("checkpoint root is not the base64 of 32 bytes");
            return false;
        }
        var extensions = lines[3..];
        if (extensions.Any(e => e.Length == 0))
        {
            error = Malformed("checkpoint extension lines must not be empty");
            return false;
        }
        checkpoint = new Checkpoint(origin, size, root, extensions);
        error = null;
        return true;
    }

    /// <summary>Parses a signed checkpoint, verifies it against the trusted keys, parses the body and checks the
    /// origin — in that order, so no unverified text is interpreted.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> signedNote, string expectedOrigin, IEnumerable<NoteVerifierKey> trustedKeys,
        [NotNullWhen(true)] out Checkpoint? checkpoint, [NotNullWhen(false)] out Finding? error)
    {
        checkpoint = null;
        if (!SignedNote.TryParse(signedNote, out var note, out error)) return false;
        var verification = note.Verify(trustedKeys);
        if (!verification.IsValid)
        {
            error = verification.Result.Failure!;
            return false;
        }
        if (!TryParse(note.Text, out checkpoint, out error)) return false;
        if (checkpoint.Origin != expectedOrigin)
        {
            error = new Finding(TransparencyCodes.CheckpointOriginMismatch, $"checkpoint is for log '{checkpoint.Origin}', expected '{expectedOrigin}'",
                new Dictionary<string, string> { ["expected"] = expectedOrigin, ["found"] = checkpoint.Origin });
            checkpoint = null;
            return false;
        }
        return true;
    }

    public bool Equals(Checkpoint? other) =>
        other is not null && Origin == other.Origin && Size == other.Size && RootHash.AsSpan().SequenceEqual(other.RootHash) &&
        Extensions.SequenceEqual(other.Extensions);

    public override int GetHashCode() => HashCode.Combine(Origin, Size, Convert.ToHexString(RootHash));

    private static Finding Malformed(string message) => new(TransparencyCodes.CheckpointMalformed, message);
}
