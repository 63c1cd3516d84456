using Attest.Core;

namespace Attest.Sigstore.Verification;

/// <summary>
/// Enough independent observers must vouch for when the signature existed: SET-verified integrated times plus verified
/// RFC 3161 times. Rekor v2 entries have no integrated time, so such bundles need a TSA timestamp.
/// (reference §1.1 step 6; conformance rekor2-no-timestamp_fail)
/// </summary>
internal sealed class ObserverTimestampStep : IVerificationStep
{
    public Finding? Verify(VerificationContext context)
    {
        if (context.Timestamps.Count >= context.Options.ObserverTimestampThreshold) return null;
        return VerificationContext.Finding(SigstoreCodes.TimestampThreshold,
            $"The bundle has {context.Timestamps.Count} verified timestamps (signed entry timestamps or RFC 3161); at least {context.Options.ObserverTimestampThreshold} are required.");
    }
}
