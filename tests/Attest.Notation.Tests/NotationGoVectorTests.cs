using Attest.Core;
using Attest.Notation.Envelopes;
using Attest.Notation.Trust;
using Attest.Notation.Verification;

namespace Attest.Notation.Tests;

/// <summary>notation-go's test envelopes verified against its own trust store, with the outcomes its verifier tests
/// expect (internal/testdata, internal/mock/testdata, verifier/testdata/truststore).</summary>
public sealed class NotationGoVectorTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The alpine manifest of notation-go's OCI layout, which jws_signature.sig and cose_signature.sig sign.</summary>
    private static readonly ExpectedArtifact Alpine = new(
        Digest.Parse("sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0"), "application/vnd.oci.image.manifest.v1+json", 481);

    /// <summary>The artifact of the mock envelopes (mock.SampleDigest, a docker manifest of 528 bytes).</summary>
    private static readonly ExpectedArtifact Sample = new(
        Digest.Parse("sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e"), "application/vnd.docker.distribution.manifest.v2+json", 528);

    private static NotationTrustPolicy Policy(VerificationLevel? level = null, params (TrustStoreType, string)[] stores) =>
        new(NotationVectors.Store(stores.Length == 0 ? [(TrustStoreType.CertificateAuthority, "valid-trust-store")] : stores), NotationVectors.AnyIdentity, level ?? VerificationLevel.Strict);

    [Theory]
    [InlineData("jws_signature.sig", NotationMediaTypes.Jws)]
    [InlineData("cose_signature.sig", NotationMediaTypes.Cose)]
    public void Signature_over_the_oci_layout_manifest_verifies_with_its_self_signed_certificate_trusted(string file, string mediaType)
    {
        var bytes = NotationVectors.Read("notation-go", "internal", "testdata", file);

        var result = NotationVerifier.Verify(mediaType, bytes, Alpine, SelfTrusted(mediaType, bytes), Now);

        Assert.True(result.Verified, result.Failure?.ToString());
        Assert.Empty(result.Logged);
        Assert.Equal(Alpine.Digest, result.Target!.Digest);
        Assert.Contains("CN=alpine", result.Signer, StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_of_the_oci_layout_has_the_digest_and_size_the_signatures_name()
    {
        var manifest = NotationVectors.Read("notation-go", "internal", "testdata", "oci-layout", "blobs", "sha256", Alpine.Digest.Hex);
        Assert.Equal(Alpine.Digest, Digest.Sha256(manifest));
        Assert.Equal(Alpine.Size, manifest.Length);
    }

    [Theory]
    [InlineData("jws_signature.sig", NotationMediaTypes.Jws)]
    [InlineData("cose_signature.sig", NotationMediaTypes.Cose)]
    public void Signature_is_refused_for_another_digest(string file, string mediaType)
    {
        var bytes = NotationVectors.Read("notation-go", "internal", "testdata", file);

        var result = NotationVerifier.Verify(mediaType, bytes, Sample, SelfTrusted(mediaType, bytes), Now);

        Assert.False(result.Verified);
        Assert.Equal(NotationCodes.PayloadMismatch, result.Failure!.Code);
    }

    [Theory]
    [InlineData("jws_signature.sig", NotationMediaTypes.Jws)]
    [InlineData("cose_signature.sig", NotationMediaTypes.Cose)]
    public void Signature_is_refused_when_the_trust_store_lacks_its_root(string file, string mediaType)
    {
        // notation-go's valid-trust-store holds another "alpine" certificate (same subject, other key): not this one.
        var bytes = NotationVectors.Read("notation-go", "internal", "testdata", file);

        var result = NotationVerifier.Verify(mediaType, bytes, Alpine, Policy(), Now);

        Assert.Equal(NotationCodes.ChainUntrusted, result.Failure!.Code);
    }

    [Fact]
    public void Signature_with_its_media_type_swapped_is_not_read_as_the_other_envelope()
    {
        var bytes = NotationVectors.Read("notation-go", "internal", "testdata", "jws_signature.sig");
        var result = NotationVerifier.Verify(NotationMediaTypes.Cose, bytes, Alpine, Policy(), Now);
        Assert.Equal(NotationCodes.EnvelopeMalformed, result.Failure!.Code);
    }

    [Theory]
    [InlineData("ca_valid_sig_env.json", TrustStoreType.CertificateAuthority)]
    [InlineData("sa_valid_sig_env.json", TrustStoreType.SigningAuthority)]
    public void Valid_mock_envelope_verifies_under_its_scheme_trust_store(string file, TrustStoreType type)
    {
        var result = NotationVerifier.Verify(NotationMediaTypes.Jws, Mock(file), Sample, Policy(null, (type, "valid-trust-store")), Now);
        Assert.True(result.Verified, result.Failure?.ToString());
        Assert.Equal(type == TrustStoreType.CertificateAuthority ? SigningScheme.X509 : SigningScheme.X509SigningAuthority, result.Scheme);
    }

    [Theory]
    [InlineData("ca_valid_sig_env.json", TrustStoreType.SigningAuthority)]
    [InlineData("sa_valid_sig_env.json", TrustStoreType.CertificateAuthority)]
    public void Valid_mock_envelope_is_untrusted_under_the_other_scheme_trust_store(string file, TrustStoreType type)
    {
        // A CA-issued signer must not pass as a signing authority, nor the reverse (signing-scheme.md FAQ).
        var result = NotationVerifier.Verify(NotationMediaTypes.Jws, Mock(file), Sample, Policy(null, (type, "valid-trust-store")), Now);
        Assert.Equal(NotationCodes.ChainUntrusted, result.Failure!.Code);
    }

    [Theory]
    [InlineData("ca_invalid_sig_env.json", TrustStoreType.CertificateAuthority)]
    [InlineData("sa_invalid_sig_env.json", TrustStoreType.SigningAuthority)]
    public void Mock_envelope_with_an_altered_payload_fails_integrity_at_every_level(string file, TrustStoreType type)
    {
        // These "invalid" envelopes differ from the valid ones by a '=' appended to the base64url payload: padding
        // JWS forbids (RFC 7515 §2), so they are refused as malformed before the signature is even checked.
        foreach (var level in new[] { VerificationLevel.Strict, VerificationLevel.Permissive, VerificationLevel.Audit })
        {
            var result = NotationVerifier.Verify(NotationMediaTypes.Jws, Mock(file), Sample, Policy(level, (type, "valid-trust-store")), Now);
            Assert.Equal(NotationCodes.EnvelopeMalformed, result.Failure!.Code);
            Assert.Contains("'payload'", result.Failure.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("ca_invalid_sig_env.json")]
    [InlineData("sa_invalid_sig_env.json")]
    public void Mock_invalid_envelope_is_a_valid_signature_but_for_the_padding(string file)
    {
        // Strip the padding and the signature verifies: the padding is the only fault, and it alone must fail the envelope.
        var text = System.Text.Encoding.UTF8.GetString(Mock(file)).Replace("=\"", "\"", StringComparison.Ordinal);
        var type = file.StartsWith("ca", StringComparison.Ordinal) ? TrustStoreType.CertificateAuthority : TrustStoreType.SigningAuthority;
        var result = NotationVerifier.Verify(NotationMediaTypes.Jws, System.Text.Encoding.UTF8.GetBytes(text), Sample, Policy(null, (type, "valid-trust-store")), Now);
        Assert.True(result.Verified, result.Failure?.ToString());
    }

    [Theory]
    [InlineData("ca_expired_sig_env.json", TrustStoreType.CertificateAuthority)]
    [InlineData("sa_expired_sig_env.json", TrustStoreType.SigningAuthority)]
    public void Expired_mock_envelope_fails_strict_and_is_logged_by_permissive(string file, TrustStoreType type)
    {
        var strict = NotationVerifier.Verify(NotationMediaTypes.Jws, Mock(file), Sample, Policy(VerificationLevel.Strict, (type, "valid-trust-store")), Now);
        Assert.Equal(NotationCodes.SignatureExpired, strict.Failure!.Code);

        var permissive = NotationVerifier.Verify(NotationMediaTypes.Jws, Mock(file), Sample, Policy(VerificationLevel.Permissive, (type, "valid-trust-store")), Now);
        Assert.True(permissive.Verified);
        Assert.Equal(NotationCodes.SignatureExpired, Assert.Single(permissive.Logged).Code);
    }

    [Fact]
    public void Trusted_identity_selects_the_signer_by_subject()
    {
        var store = NotationVectors.Store((TrustStoreType.CertificateAuthority, "valid-trust-store"));
        var matching = new NotationTrustPolicy(store, [NotationVectors.Identity("x509.subject: C=US, ST=WA, O=Notary, CN=Notation Test Root")], VerificationLevel.Strict);
        var other = new NotationTrustPolicy(store, [NotationVectors.Identity("x509.subject: C=US, ST=WA, O=wabbit-networks.io")], VerificationLevel.Strict);
        var audit = other with { Level = VerificationLevel.Audit };

        Assert.True(NotationVerifier.Verify(NotationMediaTypes.Jws, Mock("ca_valid_sig_env.json"), Sample, matching, Now).Verified);
        Assert.Equal(NotationCodes.IdentityUntrusted, NotationVerifier.Verify(NotationMediaTypes.Jws, Mock("ca_valid_sig_env.json"), Sample, other, Now).Failure!.Code);
        var audited = NotationVerifier.Verify(NotationMediaTypes.Jws, Mock("ca_valid_sig_env.json"), Sample, audit, Now);
        Assert.True(audited.Verified);
        Assert.Equal(NotationCodes.IdentityUntrusted, Assert.Single(audited.Logged).Code);
    }

    /// <summary>The envelope's own (self-signed) certificate as the ca trust store.</summary>
    private static NotationTrustPolicy SelfTrusted(string mediaType, byte[] bytes)
    {
        Assert.True(NotationEnvelope.TryParse(mediaType, bytes, out var envelope, out var failure), failure?.Message);
        var store = new TrustStore();
        store.Add(TrustStoreType.CertificateAuthority, System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(envelope.CertificateChain[^1]));
        return new NotationTrustPolicy(store, NotationVectors.AnyIdentity, VerificationLevel.Strict);
    }

    private static byte[] Mock(string file) => NotationVectors.Read("notation-go", "internal", "mock", "testdata", file);
}
