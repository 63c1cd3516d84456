using Attest.Core;

namespace Attest.Sigstore.Verification;

/// <summary>A managed key with a validity window must have been used inside it: every verified timestamp must fall in
/// the window (sigstore-go TestPublicKeyValidityCheckedAgainstSignedTimestamp).</summary>
internal sealed class KeyValidityStep : IVerificationStep
{
    public Finding? Verify(VerificationContext context)
    {
        if (context.Policy.Key is null || context.Policy.KeyValidFor is not { } validFor) return null;
        foreach (var timestamp in context.Timestamps)
        {
            if (!validFor.Contains(timestamp.Time))
            {
                return VerificationContext.Finding(SigstoreCodes.KeyOutsideValidity,
                    $"The signature was made at {timestamp.Time:O} ({timestamp.Source}), outside the key's validity {validFor}.");
            }
        }
        return null;
    }
}
