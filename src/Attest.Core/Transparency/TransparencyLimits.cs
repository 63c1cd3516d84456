namespace Attest.Core.Transparency;

/// <summary>Bounds applied to every transparency input before it is parsed or verified.</summary>
public static class TransparencyLimits
{
    /// <summary>Largest signed note accepted (bytes). Post-quantum signatures are up to ~5 KB each, so this
    /// leaves room for well over 16 of them plus a checkpoint body.</summary>
    public const int MaxNoteBytes = 256 * 1024;

    /// <summary>Signature lines per note; c2sp.org/signed-note requires accepting at least 16, Go accepts 100.</summary>
    public const int MaxNoteSignatures = 100;

    /// <summary>Lines in a note's text (checkpoint body plus extension lines).</summary>
    public const int MaxNoteTextLines = 1024;

    /// <summary>Key names and checkpoint origins.</summary>
    public const int MaxKeyNameLength = 256;

    /// <summary>Hashes in one inclusion or consistency proof: a tree of 2^63 leaves needs at most 63 + 63.</summary>
    public const int MaxProofHashes = 128;
}
