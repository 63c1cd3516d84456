using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Fuzz.Targets;

/// <summary>A trusted root as a policy file or <c>--trusted-root</c> names it: <see cref="TrustedRoot.TryParse"/>
/// answers a finding with a reason code for everything it refuses; a root it accepts then verifies a fixed bundle
/// (the Rekor v2 vector), which walks its logs, authorities and timestamp authorities.</summary>
internal static class TrustedRootTarget
{
    private static readonly byte[] Bundle = Fixtures.Bytes("rekor2-bundle.sigstore.json");

    public static void Run(byte[] input)
    {
        if (!TrustedRoot.TryParse(input, out var root, out _)) return;
        new BundleVerifier(root, VerifierOptions.Default, SigstoreFixtures.Time).Verify(Bundle, SigstoreFixtures.Artifact, SigstoreFixtures.AnyIdentity);
    }
}
