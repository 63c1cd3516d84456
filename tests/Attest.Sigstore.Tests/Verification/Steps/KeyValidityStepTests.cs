using Attest.Core.Crypto;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>KeyValidityStep: a managed key signs only within the validity the policy gives it (sigstore-go's
/// public-key-validity vector).</summary>
public sealed class KeyValidityStepTests
{
    [Fact]
    public void Managed_key_outside_its_validity_window_is_rejected()
    {
        var bundle = File.ReadAllBytes(SigstoreVectors.Root("sigstore-go", "public-key-validity.sigstore.json"));
        Assert.True(PublicKey.TryParse(File.ReadAllBytes(SigstoreVectors.Root("sigstore-go", "public-key-validity.pem")), out var key, out _));
        var options = new VerifierOptions { TransparencyLogThreshold = 0, AllowNoTransparencyLogUnsafe = true };
        var verifier = new BundleVerifier(TrustedRoot.Parse(File.ReadAllBytes(SigstoreVectors.Root("sigstore-go", "trusted-root-public-key-validity.json"))), options);
        var artifact = Artifact.FromBytes("test content"u8.ToArray());

        var window = new TimeRange(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(1));
        var rejected = verifier.Verify(bundle, artifact, ArtifactPolicy.ForKey(key) with { KeyValidFor = window });
        Assert.Equal(SigstoreCodes.KeyOutsideValidity, rejected.Failure?.Code);

        // The same bundle without a window verifies: the window alone made the difference.
        var accepted = verifier.Verify(bundle, artifact, ArtifactPolicy.ForKey(key));
        Assert.True(accepted.Verified, accepted.Failure?.ToString());
        Assert.Equal(TimestampSource.TimestampAuthority, Assert.Single(accepted.Timestamps).Source);

        // With the default options a bundle without a transparency log entry is not enough.
        var strict = new BundleVerifier(TrustedRoot.Parse(File.ReadAllBytes(SigstoreVectors.Root("sigstore-go", "trusted-root-public-key-validity.json")))).Verify(bundle, artifact, ArtifactPolicy.ForKey(key));
        Assert.Equal(SigstoreCodes.TlogThreshold, strict.Failure?.Code);
    }
}
