using System.Security.Cryptography;
using Attest.Core.Crypto;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Sigstore.Tests.Verification;

public class PolicyTests
{
    [Fact]
    public void Default_options_are_valid()
    {
        Assert.Empty(VerifierOptions.Default.Validate());
    }

    [Theory]
    [InlineData(0, 1, 1, false, false, "TransparencyLogThreshold")]
    [InlineData(1, 1, 1, true, false, "conflicts")]
    [InlineData(1, 0, 1, false, false, "ObserverTimestampThreshold")]
    [InlineData(1, 1, 0, false, false, "CertificateTransparencyThreshold")]
    [InlineData(-1, 1, 1, true, false, "TransparencyLogThreshold")]
    public void Unsafe_settings_need_their_named_opt_out(int tlog, int observers, int sct, bool noTlog, bool skipSct, string error)
    {
        var options = new VerifierOptions
        {
            TransparencyLogThreshold = tlog, ObserverTimestampThreshold = observers, CertificateTransparencyThreshold = sct,
            AllowNoTransparencyLogUnsafe = noTlog, SkipSctUnsafe = skipSct,
        };
        Assert.Contains(options.Validate(), e => e.Contains(error, StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => new BundleVerifier(TrustedRoot.PublicGood, options));
    }

    [Fact]
    public void Opt_outs_make_the_zero_thresholds_valid()
    {
        var options = new VerifierOptions { TransparencyLogThreshold = 0, ObserverTimestampThreshold = 0, AllowNoTransparencyLogUnsafe = true, CertificateTransparencyThreshold = 0, SkipSctUnsafe = true };
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Policies_need_exactly_one_kind_of_authority_and_valid_patterns()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(ec.ExportSubjectPublicKeyInfo(), out var key, out _));
        Assert.NotEmpty(new ArtifactPolicy().Validate());
        Assert.NotEmpty((ArtifactPolicy.ForKey(key) with { Identities = [CertificateIdentity.Exact("a", "b")] }).Validate());
        Assert.NotEmpty(new ArtifactPolicy { Identities = [new CertificateIdentity { SubjectAlternativeNameRegex = "(", Issuer = "x" }] }.Validate());
        Assert.NotEmpty(new ArtifactPolicy { Identities = [new CertificateIdentity { SubjectAlternativeName = "a", SubjectAlternativeNameRegex = "a", Issuer = "x" }] }.Validate());
        Assert.Empty(ArtifactPolicy.ForIdentity("a", "b").Validate());
        Assert.Empty(ArtifactPolicy.ForKey(key).Validate());
    }

    [Fact]
    public void Regular_expression_identities_match_the_whole_value()
    {
        var conformance = SigstoreVectors.Case("happy-path-v0.3");
        var verifier = new BundleVerifier(TrustedRoot.PublicGood);
        var artifact = Artifact.FromBytes(conformance.ArtifactBytes);
        var matching = new ArtifactPolicy { Identities = [new CertificateIdentity { SubjectAlternativeNameRegex = @"https://github\.com/sigstore-conformance/.+@refs/heads/main", IssuerRegex = @"https://token\.actions\.githubusercontent\.com" }] };
        Assert.True(verifier.Verify(conformance.BundleBytes, artifact, matching).Verified);
        var partial = new ArtifactPolicy { Identities = [new CertificateIdentity { SubjectAlternativeNameRegex = "sigstore-conformance", IssuerRegex = ".*" }] };
        Assert.Equal(SigstoreCodes.IdentitySanMismatch, verifier.Verify(conformance.BundleBytes, artifact, partial).Failure?.Code);
        var wrongIssuer = new ArtifactPolicy { Identities = [new CertificateIdentity { SubjectAlternativeNameRegex = ".*", IssuerRegex = "https://accounts\\.google\\.com" }] };
        Assert.Equal(SigstoreCodes.IdentityIssuerMismatch, verifier.Verify(conformance.BundleBytes, artifact, wrongIssuer).Failure?.Code);
        Assert.Equal(SigstoreCodes.PolicyInvalid, verifier.Verify(conformance.BundleBytes, artifact, new ArtifactPolicy()).Failure?.Code);
    }
}
