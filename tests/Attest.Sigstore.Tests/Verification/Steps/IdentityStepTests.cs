using Attest.Core;
using Attest.Sigstore.Verification;

namespace Attest.Sigstore.Tests.Verification.Steps;

/// <summary>IdentityStep: the certificate's SAN and OIDC issuer must be one of the policy's identities; the SAN is
/// checked first, so a wrong subject and a wrong issuer fail with their own codes.</summary>
public sealed class IdentityStepTests
{
    private static VerificationResult VerifyHappyPathAs(ArtifactPolicy policy)
    {
        var @case = SigstoreVectors.Case("happy-path-v0.3");
        return new BundleVerifier(@case.LoadTrustedRoot(out _)!).Verify(@case.BundleBytes, Artifact.FromBytes(@case.ArtifactBytes), policy);
    }

    [Fact]
    public void The_expected_identity_passes()
    {
        var result = VerifyHappyPathAs(ArtifactPolicy.ForIdentity(ConformanceCase.DefaultIdentity, ConformanceCase.DefaultIssuer));
        Assert.True(result.Verified, result.Failure?.ToString());
        Assert.Equal(ConformanceCase.DefaultIdentity, result.SubjectAlternativeName);
        Assert.Equal(ConformanceCase.DefaultIssuer, result.Issuer);
    }

    [Fact]
    public void Another_subject_is_rejected_as_a_SAN_mismatch()
    {
        var result = VerifyHappyPathAs(ArtifactPolicy.ForIdentity("https://github.com/someone-else/repo/.github/workflows/x.yml@refs/heads/main", ConformanceCase.DefaultIssuer));
        Assert.Equal(SigstoreCodes.IdentitySanMismatch, result.Failure?.Code);
    }

    [Fact]
    public void The_right_subject_from_another_issuer_is_rejected_as_an_issuer_mismatch()
    {
        var result = VerifyHappyPathAs(ArtifactPolicy.ForIdentity(ConformanceCase.DefaultIdentity, "https://accounts.google.com"));
        Assert.Equal(SigstoreCodes.IdentityIssuerMismatch, result.Failure?.Code);
    }

    [Fact]
    public void A_pattern_must_match_the_whole_subject()
    {
        var partial = new ArtifactPolicy { Identities = [new CertificateIdentity { SubjectAlternativeNameRegex = "https://github\\.com/sigstore-conformance", Issuer = ConformanceCase.DefaultIssuer }] };
        Assert.Equal(SigstoreCodes.IdentitySanMismatch, VerifyHappyPathAs(partial).Failure?.Code);
        var whole = new ArtifactPolicy { Identities = [new CertificateIdentity { SubjectAlternativeNameRegex = "https://github\\.com/sigstore-conformance/.+", Issuer = ConformanceCase.DefaultIssuer }] };
        Assert.True(VerifyHappyPathAs(whole).Verified);
    }
}
