using Attest.Core.Crypto;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Fuzz.Targets;

/// <summary>
/// A bundle through <see cref="BundleVerifier.Verify(ReadOnlySpan{byte}, Artifact, ArtifactPolicy)"/>, as
/// <c>attest verify-bundle</c> and the admission evidence path call it: parsing, then the ordered steps as far as the
/// input gets. Three verifiers: the embedded public-good root with a keyless policy (bundles v0.1–0.3), the staging
/// root of the Rekor v2 vectors (checkpoints, TSA timestamps), and a managed key. A failed verification is a
/// <see cref="VerificationResult"/> with a reason code; only an escaping exception is a finding.
/// </summary>
internal static class BundleTarget
{
    private static readonly ArtifactPolicy ManagedKey = ArtifactPolicy.ForKey(
        PublicKey.TryParse(Fixtures.Bytes("managed-key.pub"), out var key, out var error) ? key : throw new InvalidOperationException(error));

    private static readonly BundleVerifier PublicGood = new(TrustedRoot.PublicGood, VerifierOptions.Default, SigstoreFixtures.Time);
    private static readonly BundleVerifier Staging = new(TrustedRoot.Parse(Fixtures.Bytes("rekor2-trusted_root.json")), VerifierOptions.Default, SigstoreFixtures.Time);

    public static void Run(byte[] input)
    {
        PublicGood.Verify(input, SigstoreFixtures.Artifact, SigstoreFixtures.AnyIdentity);
        Staging.Verify(input, SigstoreFixtures.Artifact, SigstoreFixtures.AnyIdentity);
        PublicGood.Verify(input, SigstoreFixtures.Artifact, ManagedKey);
    }
}
