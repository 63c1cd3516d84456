using Attest.Sigstore.Verification;

namespace Attest.Fuzz.Targets;

/// <summary>What the Sigstore targets verify against: a fixed clock inside the vectors' validity, the conformance
/// suite's artifact, and a keyless policy any identity satisfies (so that verification goes as far as the input lets it).</summary>
internal static class SigstoreFixtures
{
    public static readonly FixedTime Time = new(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));

    public static readonly Artifact Artifact = Artifact.FromBytes(Fixtures.Bytes("a.txt"));

    public static readonly ArtifactPolicy AnyIdentity = new()
    {
        Identities = [new CertificateIdentity { SubjectAlternativeNameRegex = ".*", IssuerRegex = ".*" }],
    };
}
