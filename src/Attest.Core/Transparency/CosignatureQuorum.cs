using System.Globalization;
using System.Text;

namespace Attest.Core.Transparency;

/// <summary>How many of the named witnesses cosigned a checkpoint, and which cosignatures failed.</summary>
public sealed record CosignatureCount(IReadOnlyList<NoteVerifierKey> CosignedBy, IReadOnlyList<string> Invalid)
{
    public int Count => CosignedBy.Count;
}

/// <summary>
/// The client side of c2sp.org/tlog-cosignature: a checkpoint counts as witnessed when at least
/// <see cref="Required"/> distinct witnesses of <see cref="Witnesses"/> cosigned it. Lines by unknown keys are ignored;
/// a line that names a configured witness but does not verify is not counted (and reported), so one bad line cannot
/// hide the valid cosignatures of others.
/// </summary>
public sealed record CosignatureQuorum(IReadOnlyList<NoteVerifierKey> Witnesses, int Required)
{
    /// <summary>No witnesses required.</summary>
    public static readonly CosignatureQuorum None = new([], 0);

    /// <summary>Every problem with this quorum (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Witnesses.Any(w => !w.IsCosignatureKey))
            errors.Add($"witness keys must be Ed25519 cosignature keys (type 0x04): {string.Join(", ", Witnesses.Where(w => !w.IsCosignatureKey).Select(w => w.Name))}");
        if (Required < 0 || Required > Witnesses.Count)
            errors.Add($"{Required.ToString(CultureInfo.InvariantCulture)} cosignatures required from {Witnesses.Count.ToString(CultureInfo.InvariantCulture)} witness keys");
        if (Witnesses.Select(w => w.Name).Distinct(StringComparer.Ordinal).Count() != Witnesses.Count)
            errors.Add("each witness is named once");
        return errors;
    }

    /// <summary>Counts the valid cosignatures of the named witnesses on <paramref name="note"/>.</summary>
    public CosignatureCount Count(SignedNote note)
    {
        ArgumentNullException.ThrowIfNull(note);
        var text = Encoding.UTF8.GetBytes(note.Text);
        var cosigned = new List<NoteVerifierKey>();
        var invalid = new List<string>();
        foreach (var signature in note.Signatures)
        {
            var witness = Witnesses.FirstOrDefault(w => w.Name == signature.KeyName && w.KeyHash == signature.KeyHash);
            if (witness is null) continue;
            if (!witness.Verify(text, signature.Signature)) invalid.Add($"{witness.Name}+{witness.KeyHash:x8}");
            else if (!cosigned.Contains(witness)) cosigned.Add(witness);
        }
        return new CosignatureCount(cosigned, invalid);
    }

    public bool IsMetBy(SignedNote note) => Count(note).Count >= Required;
}
