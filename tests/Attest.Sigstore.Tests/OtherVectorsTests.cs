using System.Text.Json;
using Attest.Core;
using Attest.Core.Crypto;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Sigstore.Tests;

/// <summary>The sigstore-go, cosign and npm vectors beyond the conformance suite, with the expectations their upstream tests state.</summary>
public class OtherVectorsTests
{
    private const string GitHubActions = "https://token.actions.githubusercontent.com";
    private const string GitHubOAuth = "https://github.com/login/oauth";
    private const string SigstoreJsRelease = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main";

    private static byte[] Read(params string[] path) => File.ReadAllBytes(SigstoreVectors.Root(path));

    private static TrustedRoot Root(params string[] path) => TrustedRoot.Parse(Read(path));

    /// <summary>The artifact a DSSE bundle is about, as the digest its statement names (the artifacts themselves are not in the vectors).</summary>
    private static Artifact StatementSubject(byte[] bundle)
    {
        using var document = JsonDocument.Parse(bundle);
        var payload = Convert.FromBase64String(document.RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetString()!);
        using var statement = JsonDocument.Parse(payload);
        var digest = statement.RootElement.GetProperty("subject")[0].GetProperty("digest").EnumerateObject().First();
        return Artifact.FromDigest(Digest.Parse($"{digest.Name}:{digest.Value.GetString()}"));
    }

    [Fact]
    public void Sigstore_go_dsse_bundle_verifies_with_its_email_identity()
    {
        var bundle = Read("sigstore-go", "dsse.sigstore.json");
        var result = new BundleVerifier(Root("sigstore-go", "trusted-root-public-good.json"))
            .Verify(bundle, StatementSubject(bundle), ArtifactPolicy.ForIdentity("brian@dehamer.com", GitHubOAuth));
        Assert.True(result.Verified, result.Failure?.ToString());
        Assert.Equal("brian@dehamer.com", result.SubjectAlternativeName);
    }

    [Fact]
    public void Sigstore_go_dsse_bundle_with_two_signatures_is_rejected()
    {
        var bundle = Read("sigstore-go", "dsse-2sigs.sigstore.json");
        var result = new BundleVerifier(Root("sigstore-go", "trusted-root-public-good.json"))
            .Verify(bundle, Artifact.FromBytes([]), ArtifactPolicy.ForIdentity("brian@dehamer.com", GitHubOAuth));
        Assert.Equal(SigstoreCodes.BundleDsse, result.Failure?.Code);
    }

    [Fact]
    public void OtherName_SAN_bundle_verifies_by_username_and_not_as_an_email()
    {
        var bundle = Read("sigstore-go", "othername.sigstore.json");
        using var document = JsonDocument.Parse(bundle);
        var digest = Convert.FromBase64String(document.RootElement.GetProperty("messageSignature").GetProperty("messageDigest").GetProperty("digest").GetString()!);
        var artifact = Artifact.FromDigest(Digest.FromBytes("sha256", digest));
        Assert.StartsWith("sha256:bc103b4a", artifact.ToString(), StringComparison.Ordinal);
        var verifier = new BundleVerifier(Root("sigstore-go", "trusted-root-scaffolding.json"));

        var ok = verifier.Verify(bundle, artifact, ArtifactPolicy.ForIdentity("foo!oidc.local", "http://oidc.local:8080"));
        Assert.True(ok.Verified, ok.Failure?.ToString());

        var email = verifier.Verify(bundle, artifact, ArtifactPolicy.ForIdentity("foo@oidc.local", "http://oidc.local:8080"));
        Assert.Equal(SigstoreCodes.IdentitySanMismatch, email.Failure?.Code);
        var issuer = verifier.Verify(bundle, artifact, ArtifactPolicy.ForIdentity("foo!oidc.local", "http://oidc.local:9090"));
        Assert.Equal(SigstoreCodes.IdentityIssuerMismatch, issuer.Failure?.Code);
    }

    [Fact]
    public void Npm_provenance_bundle_verifies_with_threshold_1_and_not_with_stricter_thresholds()
    {
        var bundle = Read("sigstore-go", "sigstore.js@2.0.0-provenance.sigstore.json");
        var root = Root("sigstore-go", "trusted-root-public-good.json");
        var policy = ArtifactPolicy.ForIdentity(SigstoreJsRelease, GitHubActions);
        var artifact = StatementSubject(bundle);

        var ok = new BundleVerifier(root).Verify(bundle, artifact, policy);
        Assert.True(ok.Verified, ok.Failure?.ToString());
        Assert.Equal(TimestampSource.TransparencyLog, Assert.Single(ok.Timestamps).Source);

        Assert.Equal(SigstoreCodes.TlogThreshold, new BundleVerifier(root, new VerifierOptions { TransparencyLogThreshold = 2 }).Verify(bundle, artifact, policy).Failure?.Code);
        Assert.Equal(SigstoreCodes.TimestampThreshold, new BundleVerifier(root, new VerifierOptions { ObserverTimestampThreshold = 2 }).Verify(bundle, artifact, policy).Failure?.Code);
    }

    [Fact]
    public void Npm_provenance_example_verifies_by_its_sha512_digest_only()
    {
        var bundle = Read("sigstore-go", "bundle-provenance.json");
        var verifier = new BundleVerifier(Root("sigstore-go", "trusted-root-public-good.json"));
        var policy = ArtifactPolicy.ForIdentity(SigstoreJsRelease, GitHubActions);
        var digest = Digest.Parse("sha512:76176ffa33808b54602c7c35de5c6e9a4deb96066dba6533f50ac234f4f1f4c6b3527515dc17c06fbe2860030f410eee69ea20079bd3a2c6f3dcf3b329b10751");
        var ok = verifier.Verify(bundle, Artifact.FromDigest(digest), policy);
        Assert.True(ok.Verified, ok.Failure?.ToString());
        var other = verifier.Verify(bundle, Artifact.FromBytes("something else"u8.ToArray()), policy);
        Assert.Equal(SigstoreCodes.SignatureSubjectMismatch, other.Failure?.Code);
    }

    [Fact]
    public void Npm_publish_attestation_verifies_with_npm_key_and_not_with_an_identity()
    {
        var bundle = Read("sigstore-go", "bundle-publish.json");
        Assert.True(PublicKey.TryParse(Read("sigstore-go", "publish_key.pub"), out var key, out var error), error);
        var verifier = new BundleVerifier(Root("sigstore-go", "trusted-root-public-good.json"));
        var artifact = StatementSubject(bundle);
        var ok = verifier.Verify(bundle, artifact, ArtifactPolicy.ForKey(key));
        Assert.True(ok.Verified, ok.Failure?.ToString());
        Assert.Equal(SigstoreCodes.KeyRequired, verifier.Verify(bundle, artifact, ArtifactPolicy.ForIdentity(SigstoreJsRelease, GitHubActions)).Failure?.Code);
    }

    [Fact]
    public void Cosign_v3_OCI_attestation_verifies_by_image_digest()
    {
        var bundle = Read("cosign", "oci-attestation.sigstore.json");
        var verifier = new BundleVerifier(Root("cosign", "trusted_root_pgi.json"));
        var policy = ArtifactPolicy.ForIdentity("cody@soyland.com", GitHubOAuth);
        var image = Artifact.FromDigest(Digest.Parse("sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4"));
        var ok = verifier.Verify(bundle, image, policy);
        Assert.True(ok.Verified, ok.Failure?.ToString());
        var otherImage = Artifact.FromDigest(Digest.Parse("sha256:0000000000000000000000000000000000000000000000000000000000000000"));
        Assert.Equal(SigstoreCodes.SignatureSubjectMismatch, verifier.Verify(bundle, otherImage, policy).Failure?.Code);
    }
}

/// <summary>Bundles sigstore-js produced against its local mock Fulcio/Rekor/TSA verify with the mock's trusted root; other inputs do not.</summary>
public class MockGeneratedTests
{
    private static byte[] Read(string file) => File.ReadAllBytes(SigstoreVectors.Root("mock-generated", file));

    private static readonly BundleVerifier Verifier = new(TrustedRoot.Parse(Read("trusted_root.json")));

    private static readonly ArtifactPolicy Tester = ArtifactPolicy.ForIdentity("tester@example.com", "https://issuer.example");

    [Theory]
    [InlineData("artifact.sigstore.json")]
    [InlineData("statement.sigstore.json")]
    public void Mock_bundle_verifies_by_file_and_by_digest(string bundle)
    {
        var file = Verifier.Verify(Read(bundle), Artifact.FromBytes(Read("artifact.txt")), Tester);
        Assert.True(file.Verified, file.Failure?.ToString());
        var digest = Verifier.Verify(Read(bundle), Artifact.FromDigest(Digest.Sha256(Read("artifact.txt"))), Tester);
        Assert.True(digest.Verified, digest.Failure?.ToString());
    }

    [Theory]
    [InlineData("artifact.sigstore.json", SigstoreCodes.SignatureDigestMismatch)]
    [InlineData("statement.sigstore.json", SigstoreCodes.SignatureSubjectMismatch)]
    public void Mock_bundle_is_rejected_for_another_artifact(string bundle, string code)
    {
        Assert.Equal(code, Verifier.Verify(Read(bundle), Artifact.FromBytes(Read("other.txt")), Tester).Failure?.Code);
    }

    [Fact]
    public void Mock_bundle_is_rejected_under_the_production_root_and_for_another_identity()
    {
        var production = new BundleVerifier(TrustedRoot.PublicGood).Verify(Read("artifact.sigstore.json"), Artifact.FromBytes(Read("artifact.txt")), Tester);
        Assert.Equal(SigstoreCodes.TlogUnknownLog, production.Failure?.Code);
        var someoneElse = Verifier.Verify(Read("artifact.sigstore.json"), Artifact.FromBytes(Read("artifact.txt")), ArtifactPolicy.ForIdentity("someone@example.com", "https://issuer.example"));
        Assert.Equal(SigstoreCodes.IdentitySanMismatch, someoneElse.Failure?.Code);
    }
}
