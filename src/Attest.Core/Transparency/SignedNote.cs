using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Attest.Core.Transparency;

/// <summary>One signature line of a note: key name, key id and the signature bytes that follow the id.</summary>
public sealed record NoteSignature(string KeyName, uint KeyHash, byte[] Signature);

/// <summary>What checking a note's signatures found: valid with the keys that verified it, or a failure.</summary>
public sealed record NoteVerification(ProofResult Result, IReadOnlyList<NoteVerifierKey> VerifiedBy)
{
    public bool IsValid => Result.IsValid;
}

/// <summary>
/// A c2sp.org/signed-note: UTF-8 text ending in a newline, a blank line, and one or more lines
/// <c>— name base64(keyID || signature)</c>. The text means nothing until <see cref="Verify"/> accepts it.
/// </summary>
public sealed class SignedNote
{
    private SignedNote(string text, IReadOnlyList<NoteSignature> signatures)
    {
        Text = text;
        Signatures = signatures;
    }

    /// <summary>The signed text, final newline included, separating blank line excluded.</summary>
    public string Text { get; }

    public IReadOnlyList<NoteSignature> Signatures { get; }

    /// <summary>Signs <paramref name="text"/> (which must end in a newline) with every signer.</summary>
    public static SignedNote Sign(string text, params NoteSigner[] signers)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!IsValidText(text)) throw new ArgumentException("note text must be non-empty, end in a newline and contain no control characters", nameof(text));
        if (signers.Length == 0) throw new ArgumentException("a note needs at least one signer", nameof(signers));
        var bytes = Encoding.UTF8.GetBytes(text);
        return new SignedNote(text, [.. signers.Select(s => new NoteSignature(s.Name, s.KeyHash, s.Sign(bytes)))]);
    }

    /// <summary>The note in its wire form.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Text).Append('\n');
        foreach (var s in Signatures)
        {
            var blob = new byte[4 + s.Signature.Length];
            BinaryPrimitives.WriteUInt32BigEndian(blob, s.KeyHash);
            s.Signature.CopyTo(blob, 4);
            sb.Append(NoteEncoding.SignaturePrefix).Append(s.KeyName).Append(' ').Append(Convert.ToBase64String(blob)).Append('\n');
        }
        return sb.ToString();
    }

    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(ToString());

    public static SignedNote Parse(string note) =>
        TryParse(Encoding.UTF8.GetBytes(note), out var parsed, out var error) ? parsed : throw new FormatException(error.Message);

    /// <summary>Parses the wire form without checking any signature. Enforces the size limit first, then UTF-8,
    /// no control characters but newline, the blank-line separator and well-formed signature lines.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out SignedNote? note, [NotNullWhen(false)] out Finding? error)
    {
        note = null;
        if (utf8.Length > TransparencyLimits.MaxNoteBytes)
        {
            error = new Finding(TransparencyCodes.NoteTooLarge, $"note is {utf8.Length} bytes, the limit is {TransparencyLimits.MaxNoteBytes}");
            return false;
        }
        string message;
        try
        {
            message = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            error = Malformed("note is not valid UTF-8");
            return false;
        }
        foreach (var c in message)
        {
            if (c < 0x20 && c != '\n' || c == 0x7f)
            {
                error = Malformed("note contains a control character");
                return false;
            }
        }
        // The text ends at the last blank line; everything after it is signature lines, each ending in "\n".
        var split = message.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            error = Malformed("note has no blank line before its signatures");
            return false;
        }
        var text = message[..(split + 1)];
        var rest = message[(split + 2)..];
        if (text.Count(c => c == '\n') > TransparencyLimits.MaxNoteTextLines)
        {
            error = Malformed($"note text has more than {TransparencyLimits.MaxNoteTextLines} lines");
            return false;
        }
        if (rest.Length == 0 || rest[^1] != '\n')
        {
            error = Malformed("note signatures must be newline-terminated lines, at least one");
            return false;
        }
        var signatures = new List<NoteSignature>();
        foreach (var line in rest[..^1].Split('\n'))
        {
            if (signatures.Count == TransparencyLimits.MaxNoteSignatures)
            {
                error = new Finding(TransparencyCodes.NoteTooManySignatures, $"note has more than {TransparencyLimits.MaxNoteSignatures} signatures");
                return false;
            }
            if (!TryParseSignatureLine(line, out var signature))
            {
                error = Malformed("note has a malformed signature line");
                return false;
            }
            signatures.Add(signature);
        }
        note = new SignedNote(text, signatures);
        error = null;
        return true;
    }

    /// <summary>
    /// c2sp.org/signed-note verification: signatures from unknown keys (name and id not both matching a trusted
    /// key) are ignored; a trusted key whose signature fails rejects the whole note; at least one trusted key must
    /// verify. A key that signed twice counts once.
    /// </summary>
    public NoteVerification Verify(IEnumerable<NoteVerifierKey> trustedKeys)
    {
        ArgumentNullException.ThrowIfNull(trustedKeys);
        var keys = trustedKeys.ToList();
        var text = Encoding.UTF8.GetBytes(Text);
        var verified = new List<NoteVerifierKey>();
        foreach (var signature in Signatures)
        {
            var candidates = keys.Where(k => k.Name == signature.KeyName && k.KeyHash == signature.KeyHash).ToList();
            if (candidates.Count == 0) continue;
            var key = candidates.FirstOrDefault(k => k.Verify(text, signature.Signature));
            if (key is null)
                return new NoteVerification(ProofResult.Fail(TransparencyCodes.NoteSignatureInvalid,
                    $"invalid signature for key {signature.KeyName}+{signature.KeyHash:x8}",
                    new Dictionary<string, string> { ["key"] = $"{signature.KeyName}+{signature.KeyHash:x8}" }), []);
            if (!verified.Contains(key)) verified.Add(key);
        }
        if (verified.Count == 0)
            return new NoteVerification(ProofResult.Fail(TransparencyCodes.NoteUnverified,
                "note has no signature from a trusted key",
                new Dictionary<string, string> { ["signers"] = string.Join(", ", Signatures.Select(s => $"{s.KeyName}+{s.KeyHash:x8}")) }), []);
        return new NoteVerification(ProofResult.Valid, verified);
    }

    internal static bool IsValidText(string text)
    {
        if (text.Length == 0 || text[^1] != '\n') return false;
        foreach (var c in text)
            if (c < 0x20 && c != '\n' || c == 0x7f) return false;
        return true;
    }

    private static bool TryParseSignatureLine(string line, [NotNullWhen(true)] out NoteSignature? signature)
    {
        signature = null;
        if (!line.StartsWith(NoteEncoding.SignaturePrefix, StringComparison.Ordinal)) return false;
        var body = line[NoteEncoding.SignaturePrefix.Length..];
        var space = body.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0) return false;
        var name = body[..space];
        if (!NoteEncoding.IsValidKeyName(name)) return false;
        var blob = NoteEncoding.DecodeBase64Strict(body[(space + 1)..]);
        if (blob is null || blob.Length < 5) return false;
        signature = new NoteSignature(name, BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]);
        return true;
    }

    private static Finding Malformed(string message) => new(TransparencyCodes.NoteMalformed, message);
}
