using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Attest.Core;
using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>
/// Which checkpoints an audit accepts. Key rotation: <see cref="LedgerAuditOptions.TrustedKeys"/> holds the current
/// key and the previous ones whose checkpoints still stand; a key taken out of service because it may be compromised
/// goes into <see cref="LedgerAuditOptions.RevokedKeys"/>, and a checkpoint only it signed is refused, naming it.
/// </summary>
public static class LedgerTrust
{
    /// <summary>Opens a signed checkpoint note, or says why it is refused (a <see cref="LedgerCodes.CheckpointSignature"/>
    /// finding whose <c>cause</c> is the underlying code, or <c>revoked-key</c>).</summary>
    public static bool TryOpenCheckpoint(ReadOnlySpan<byte> note, LedgerAuditOptions options, [NotNullWhen(true)] out Checkpoint? checkpoint,
        [NotNullWhen(false)] out Finding? refusal)
    {
        ArgumentNullException.ThrowIfNull(options);
        refusal = null;
        // A revoked key is never trusted, even if it is still listed as trusted.
        var revoked = options.RevokedKeys.Select(k => k.ToString()).ToHashSet(StringComparer.Ordinal);
        var trusted = options.TrustedKeys.Where(k => !revoked.Contains(k.ToString())).ToList();
        if (Checkpoint.TryOpen(note, options.Origin, trusted, out checkpoint, out var error)) return true;

        if (options.RevokedKeys.Count > 0 && Checkpoint.TryOpen(note, options.Origin, options.RevokedKeys, out var byRevoked, out _) &&
            SignedNote.TryParse(note, out var parsed, out _))
        {
            var key = parsed.Verify(options.RevokedKeys).VerifiedBy[0];
            refusal = new Finding(LedgerCodes.CheckpointSignature,
                $"checkpoint of size {byRevoked.Size.ToString(CultureInfo.InvariantCulture)} is signed by revoked key {KeyId(key.Name, key.KeyHash)} and by no trusted key",
                new Dictionary<string, string> { ["cause"] = "revoked-key", ["key"] = KeyId(key.Name, key.KeyHash), ["size"] = byRevoked.Size.ToString(CultureInfo.InvariantCulture) });
            return false;
        }
        var signedBy = SignedNote.TryParse(note, out var signedNote, out _)
            ? string.Join(", ", signedNote.Signatures.Select(s => KeyId(s.KeyName, s.KeyHash)))
            : "";
        refusal = new Finding(LedgerCodes.CheckpointSignature,
            error.Code == TransparencyCodes.NoteUnverified && signedBy.Length > 0
                ? $"checkpoint is not signed by a trusted key (signed by {signedBy}; trusted: {string.Join(", ", trusted.Select(k => KeyId(k.Name, k.KeyHash)))})"
                : $"checkpoint does not verify: {error.Message}",
            new Dictionary<string, string> { ["cause"] = error.Code, ["signedBy"] = signedBy });
        return false;
    }

    /// <summary>The key as a note names it: <c>name+hex8(key hash)</c>.</summary>
    public static string KeyId(string name, uint keyHash) => $"{name}+{keyHash:x8}";
}
