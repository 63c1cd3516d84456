using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Core.X509;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Signing;
using Attest.Sigstore.Verification;
using Attest.Testing;

namespace Attest.Sigstore.Tests.Signing;

/// <summary>Keyless-style bundles: a Fulcio-like leaf with an embedded SCT from the fake CT log, verified with identity policies.</summary>
public sealed class KeylessSigningTests : IDisposable
{
    private const string Identity = "https://github.com/attest/app/.github/workflows/release.yml@refs/heads/main";
    private const string OidcIssuer = "https://token.actions.githubusercontent.com";
    private static readonly Digest Image = Digest.Sha256("image manifest"u8);
    private readonly TestSigstore _sigstore = new();

    public void Dispose() => _sigstore.Dispose();

    private VerificationResult Verify(byte[] bundle, ArtifactPolicy policy, Digest? artifact = null, VerifierOptions? options = null) =>
        new BundleVerifier(_sigstore.TrustedRoot, options, _sigstore.Time).Verify(bundle, Artifact.FromDigest(artifact ?? Image), policy);

    [Fact]
    public void Keyless_bundle_verifies_with_the_identity_and_issuer_it_was_issued_for()
    {
        var bundle = _sigstore.SignImageKeyless(Image, Identity, OidcIssuer);

        var result = Verify(bundle, ArtifactPolicy.ForIdentity(Identity, OidcIssuer));

        Assert.True(result.Verified, result.Failure?.ToString());
        Assert.Equal(Identity, result.SubjectAlternativeName);
        Assert.Equal(OidcIssuer, result.Issuer);
        Assert.True(Bundle.TryParse(bundle, out var parsed, out _));
        Assert.Single(parsed.Certificates);
        Assert.False(parsed.HasPublicKey);
    }

    [Fact]
    public async Task Email_identity_verifies_and_both_issuer_extensions_carry_the_issuer()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leaf = _sigstore.IssueSigningCertificate(key, "dev@attest.test", OidcIssuer);
        var bundle = await _sigstore.Builder.SignStatementAsync(BundleSigner.ForCertificate(key, leaf),
            StatementWriter.Write([("image", Image)], StatementWriter.CosignSignPredicateType));

        Assert.True(Verify(bundle, ArtifactPolicy.ForIdentity("dev@attest.test", OidcIssuer)).Verified);
        var extensions = FulcioExtensions.Read(leaf);
        Assert.Equal(OidcIssuer, extensions.Get(1));
        Assert.Equal(OidcIssuer, extensions.Get(8));
        Assert.Empty(leaf.SubjectName.RawData.AsSpan(2).ToArray());
    }

    [Fact]
    public void Keyless_bundle_is_rejected_for_another_identity_or_issuer()
    {
        var bundle = _sigstore.SignImageKeyless(Image, Identity, OidcIssuer);

        Assert.Equal(SigstoreCodes.IdentitySanMismatch, Verify(bundle, ArtifactPolicy.ForIdentity("https://github.com/evil/app/x.yml@refs/heads/main", OidcIssuer)).Failure?.Code);
        Assert.Equal(SigstoreCodes.IdentityIssuerMismatch, Verify(bundle, ArtifactPolicy.ForIdentity(Identity, "https://accounts.example.com")).Failure?.Code);
    }

    [Fact]
    public void Keyless_bundle_is_rejected_when_the_trusted_root_lacks_the_CA_or_the_CT_log()
    {
        var bundle = _sigstore.SignImageKeyless(Image, Identity, OidcIssuer);
        var from = _sigstore.Time.GetUtcNow().AddHours(-1);
        var withoutCa = new TrustedRootBuilder()
            .AddTransparencyLog(_sigstore.Log.BaseUrl, _sigstore.Log.PublicKeyInfo, from)
            .AddCertificateTransparencyLog(TestSigstore.CtLogUrl, _sigstore.CtLog.PublicKeyInfo, from)
            .Build();
        var withoutCtLog = new TrustedRootBuilder()
            .AddTransparencyLog(_sigstore.Log.BaseUrl, _sigstore.Log.PublicKeyInfo, from)
            .AddCertificateAuthority(TestSigstore.FulcioUrl, [_sigstore.FulcioRoot], from)
            .Build();
        var policy = ArtifactPolicy.ForIdentity(Identity, OidcIssuer);

        Assert.Equal(SigstoreCodes.CertificateChain, new BundleVerifier(withoutCa, time: _sigstore.Time).Verify(bundle, Artifact.FromDigest(Image), policy).Failure?.Code);
        Assert.Equal(SigstoreCodes.SctInvalid, new BundleVerifier(withoutCtLog, time: _sigstore.Time).Verify(bundle, Artifact.FromDigest(Image), policy).Failure?.Code);
    }

    [Fact]
    public void Flipping_any_sampled_byte_of_the_certificate_is_rejected()
    {
        var bundle = _sigstore.SignImageKeyless(Image, Identity, OidcIssuer);
        var policy = ArtifactPolicy.ForIdentity(Identity, OidcIssuer);
        var der = Convert.FromBase64String(JsonNode.Parse(bundle)!["verificationMaterial"]!["certificate"]!["rawBytes"]!.GetValue<string>());

        for (var position = 0; position < der.Length; position += 7)
        {
            var damaged = (byte[])der.Clone();
            damaged[position] ^= 0x01;
            var node = JsonNode.Parse(bundle)!;
            node["verificationMaterial"]!["certificate"]!["rawBytes"] = Convert.ToBase64String(damaged);

            var result = Verify(Encoding.UTF8.GetBytes(node.ToJsonString()), policy);

            Assert.False(result.Verified, $"flipping certificate byte {position} was accepted");
        }
    }

    [Fact]
    public async Task Leaf_whose_embedded_SCT_signature_is_damaged_before_issuance_is_rejected_with_sct_invalid()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // The CA signs a leaf whose SCT list has one flipped bit in the SCT signature (its last byte): the certificate
        // chain is intact, only the SCT no longer verifies.
        var leaf = _sigstore.IssueSigningCertificate(key, Identity, OidcIssuer, sctList =>
        {
            var copy = (byte[])sctList.Clone();
            copy[^1] ^= 0x01;
            return copy;
        });
        var bundle = await _sigstore.Builder.SignStatementAsync(BundleSigner.ForCertificate(key, leaf),
            StatementWriter.Write([("image", Image)], StatementWriter.CosignSignPredicateType));

        var result = Verify(bundle, ArtifactPolicy.ForIdentity(Identity, OidcIssuer));

        Assert.Equal(SigstoreCodes.SctInvalid, result.Failure?.Code);
        Assert.True(Verify(bundle, ArtifactPolicy.ForIdentity(Identity, OidcIssuer), options: new VerifierOptions { CertificateTransparencyThreshold = 0, SkipSctUnsafe = true }).Verified,
            "with SCTs skipped the same bundle verifies, so the SCT alone was at fault");
    }

    [Fact]
    public void SignedCertificate_requires_the_key_the_certificate_certifies()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leaf = _sigstore.IssueSigningCertificate(key, Identity, OidcIssuer);

        Assert.Throws<ArgumentException>(() => BundleSigner.ForCertificate(other, leaf));
    }
}
