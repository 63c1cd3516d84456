using System.Text;
using Attest.Core.Transparency;
using Attest.GoModules.SumDb;

namespace Attest.Fuzz.Targets;

/// <summary>
/// C2SP signed notes and checkpoints, from a bundle's inclusion proof, a witness, the ledger's store or a checksum
/// database: <see cref="SignedNote.TryParse"/> and the unverified <see cref="Checkpoint.TryParse"/> the inclusion-proof
/// step reads, <see cref="Checkpoint.TryOpen"/> against the real sum.golang.org key, a <c>/lookup</c> response
/// (<see cref="SumDbLookup.TryParse"/>), and the first line as a verifier key (<see cref="NoteVerifierKey.TryParse"/>).
/// Every refusal is a false with a finding.
/// </summary>
internal static class SignedNoteTarget
{
    private static readonly NoteVerifierKey[] Keys =
    [
        NoteVerifierKey.Parse("sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"),
        NoteVerifierKey.Parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
    ];

    public static void Run(byte[] input)
    {
        if (SignedNote.TryParse(input, out var note, out _))
        {
            note.Verify(Keys);
            if (Checkpoint.TryParse(note.Text, out var checkpoint, out _)) checkpoint.ToNoteText();
        }
        Checkpoint.TryOpen(input, "go.sum database tree", Keys, out _, out _);
        SumDbLookup.TryParse(input, "lookup", out _, out _);
        var text = Encoding.UTF8.GetString(input);
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        NoteVerifierKey.TryParse(newline < 0 ? text : text[..newline], out _, out _);
    }
}
