using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Fuzz.Targets;

/// <summary>A trusted root as a policy file or <c>--trusted-root</c> names it: <see cref="TrustedRoot.TryParse"/>
/// answers a finding with a reason code for everything it refuses; a root it accepts then verifies a fixed bundle
/// (the Rekor v2 vector), which walks its logs, authorities and timestamp authorities.</summary>
internal static class TrustedRootTarget
{
    private static readonly FixedTime Time = new(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));
    private static readonly byte[] Bundle = Fixtures.Bytes("rekor2-bundle.sigstore.json");
    private static readonly Artifact Artifact = Artifact.FromBytes(Fixtures.Bytes("a.txt"));
    private static readonly ArtifactPolicy AnyIdentity = new()
    {
        Identities = [new CertificateIdentity { SubjectAlternativeNameRegex = ".*", IssuerRegex = ".*" }],
    };

    public static void Run(byte[] input)
    {
        if (!TrustedRoot.TryParse(input, out var root, out _)) return;
        new BundleVerifier(root, VerifierOptions.Default, Time).Verify(Bundle, Artifact, AnyIdentity);
    }
}
