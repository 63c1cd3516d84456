using System.Text.Json;
using Attest.Core;
using Attest.Core.Crypto;
using Attest.Sigstore.Cosign;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;
using Microsoft.Extensions.Time.Testing;

namespace Attest.Sigstore.Tests.Cosign;

/// <summary>Real legacy cosign signature manifests (Connaisseur's test data): keyless with a Rekor bundle, and key-signed.</summary>
public class LegacyCosignVerifierTests
{
    private const string KeylessImage = "sha256:31dc72a13a0c34b40eb95419d2b2fd67320c856baf3b72da518023ee8d370aee";
    private const string KeySignedImage = "sha256:071bf7a986f1ca9cb2a1f0bc8392822a7777f90d58f2d2c6f271913e08de7c81";
    private const string MultiSignedImage = "sha256:bfec161fecb0a887df7cb85e4da327c65986ccda7060cf3cd92171c6c90d7533";

    private static string Dir(params string[] parts) => SigstoreVectors.Root(["connaisseur", "securesystemsengineering", "testimage", .. parts]);

    /// <summary>The layers of the signature manifest for <paramref name="image"/>, with their payload blobs.</summary>
    private static List<LegacyCosignSignature> Layers(string image)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Dir("manifests", image.Replace(':', '-') + ".sig.json")));
        var layers = new List<LegacyCosignSignature>();
        foreach (var layer in manifest.RootElement.GetProperty("layers").EnumerateArray())
        {
            var payload = File.ReadAllBytes(Dir("blobs", layer.GetProperty("digest").GetString()! + ".json"));
            Assert.Equal(layer.GetProperty("digest").GetString(), Digest.Sha256(payload).ToString());
            var annotations = layer.GetProperty("annotations").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            layers.Add(new LegacyCosignSignature(payload, annotations));
        }
        return layers;
    }

    private static PublicKey Key(string name)
    {
        Assert.True(PublicKey.TryParse(File.ReadAllBytes(SigstoreVectors.Root("connaisseur", name + ".key")), out var key, out var error), error);
        return key;
    }

    private static readonly ArtifactPolicy Philipp = ArtifactPolicy.ForIdentity("philipp.belitz@securesystems.de", "https://github.com/login/oauth");

    private static readonly VerifierOptions NoTlog = new() { TransparencyLogThreshold = 0, ObserverTimestampThreshold = 0, AllowNoTransparencyLogUnsafe = true };

    [Fact]
    public void Keyless_signature_verifies_offline_with_its_Rekor_bundle_and_the_public_good_root()
    {
        var verifier = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood));
        var result = verifier.Verify(Assert.Single(Layers(KeylessImage)), Digest.Parse(KeylessImage), Philipp);
        Assert.True(result.Verified, result.Failure?.ToString());
        var timestamp = Assert.Single(result.Timestamps);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1717082297), timestamp.Time);
    }

    [Fact]
    public void Keyless_signature_is_rejected_for_another_image_identity_or_a_tampered_payload()
    {
        var verifier = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood));
        var layer = Assert.Single(Layers(KeylessImage));
        Assert.Equal(SigstoreCodes.CosignClaimMismatch, verifier.Verify(layer, Digest.Parse(KeySignedImage), Philipp).Failure?.Code);
        Assert.Equal(SigstoreCodes.IdentitySanMismatch, verifier.Verify(layer, Digest.Parse(KeylessImage), ArtifactPolicy.ForIdentity("someone@example.com", "https://github.com/login/oauth")).Failure?.Code);

        var tampered = layer with { Payload = [.. layer.Payload[..^1], (byte)' ', layer.Payload[^1]] };
        Assert.False(verifier.Verify(tampered, Digest.Parse(KeylessImage), Philipp).Verified);

        var noBundle = layer with { Annotations = layer.Annotations.Where(a => a.Key != LegacyCosignSignature.BundleAnnotation).ToDictionary() };
        Assert.Equal(SigstoreCodes.TlogThreshold, verifier.Verify(noBundle, Digest.Parse(KeylessImage), Philipp).Failure?.Code);
    }

    [Fact]
    public void Keyless_signature_is_rejected_when_the_signature_annotation_is_changed()
    {
        var verifier = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood));
        var layer = Assert.Single(Layers(KeylessImage));
        var signature = Convert.FromBase64String(layer.Annotations[LegacyCosignSignature.SignatureAnnotation]);
        for (var i = 0; i < signature.Length; i++)
        {
            var changed = (byte[])signature.Clone();
            changed[i] ^= 0x01;
            var annotations = new Dictionary<string, string>(layer.Annotations) { [LegacyCosignSignature.SignatureAnnotation] = Convert.ToBase64String(changed) };
            Assert.False(verifier.Verify(layer with { Annotations = annotations }, Digest.Parse(KeylessImage), Philipp).Verified, $"byte {i}");
        }
    }

    [Fact]
    public void Key_signed_layers_verify_with_their_signers_key_only_when_the_tlog_is_waived()
    {
        var layers = Layers(MultiSignedImage);
        Assert.Equal(3, layers.Count);
        var keys = new[] { "alice", "bob", "charlie", "default" }.ToDictionary(n => n, Key);
        var waived = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood, NoTlog));
        var signers = layers.Select(layer => keys.Where(k => waived.Verify(layer, Digest.Parse(MultiSignedImage), ArtifactPolicy.ForKey(k.Value)).Verified).Select(k => k.Key).ToList()).ToList();
        Assert.All(signers, s => Assert.Single(s));
        Assert.Equal(["alice", "bob", "charlie"], signers.Select(s => s[0]).Order());

        var strict = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood));
        Assert.Equal(SigstoreCodes.TlogThreshold, strict.Verify(layers[0], Digest.Parse(MultiSignedImage), ArtifactPolicy.ForKey(keys["alice"])).Failure?.Code);
    }

    [Fact]
    public void Key_signed_layer_is_rejected_for_an_identity_policy_and_another_image()
    {
        var layer = Assert.Single(Layers(KeySignedImage));
        var waived = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood, NoTlog));
        Assert.Equal(SigstoreCodes.KeyRequired, waived.Verify(layer, Digest.Parse(KeySignedImage), Philipp).Failure?.Code);
        var anyKey = Key("default");
        Assert.Equal(SigstoreCodes.CosignClaimMismatch, waived.Verify(layer, Digest.Parse(MultiSignedImage), ArtifactPolicy.ForKey(anyKey)).Failure?.Code);
    }

    [Theory]
    [InlineData("{}", SigstoreCodes.CosignPayload)]
    [InlineData("{\"critical\":{\"type\":\"something else\",\"image\":{\"docker-manifest-digest\":\"" + KeylessImage + "\"}}}", SigstoreCodes.CosignPayload)]
    [InlineData("{\"Critical\":{\"Type\":\"cosign container image signature\",\"Image\":{\"Docker-manifest-digest\":\"" + KeySignedImage + "\"}}}", SigstoreCodes.CosignClaimMismatch)]
    [InlineData("not json", SigstoreCodes.CosignPayload)]
    public void Claims_are_checked_with_Go_style_case_insensitive_names(string payload, string code)
    {
        Assert.False(LegacyCosignVerifier.TryCheckClaim(System.Text.Encoding.UTF8.GetBytes(payload), Digest.Parse(KeylessImage), out var finding));
        Assert.Equal(code, finding.Code);
        var matching = "{\"Critical\":{\"Type\":\"cosign container image signature\",\"Image\":{\"Docker-manifest-digest\":\"" + KeylessImage + "\"}}}";
        Assert.True(LegacyCosignVerifier.TryCheckClaim(System.Text.Encoding.UTF8.GetBytes(matching), Digest.Parse(KeylessImage), out _));
    }

    /// <summary>A cosign <c>.att</c> layer: a DSSE envelope of an in-toto statement, signed over its PAE.</summary>
    private static (LegacyCosignAttestation Layer, PublicKey Key) Attestation(Digest subject, int signatures = 1)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var statement = System.Text.Encoding.UTF8.GetBytes("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"image\",\"digest\":{\"sha256\":\"" + subject.Hex + "\"}}],\"predicateType\":\"https://slsa.dev/provenance/v1\",\"predicate\":{\"buildDefinition\":{\"buildType\":\"x\"}}}");
        var pae = Attest.Core.Dsse.Pae.Encode("application/vnd.in-toto+json", statement);
        var signature = Convert.ToBase64String(key.SignData(pae, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.DSASignatureFormat.Rfc3279DerSequence));
        var sigs = string.Join(",", Enumerable.Repeat($$"""{"keyid":"","sig":"{{signature}}"}""", signatures));
        var envelope = $$"""{"payloadType":"application/vnd.in-toto+json","payload":"{{Convert.ToBase64String(statement)}}","signatures":[{{sigs}}]}""";
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out var publicKey, out var error), error);
        return (new LegacyCosignAttestation(System.Text.Encoding.UTF8.GetBytes(envelope), new Dictionary<string, string> { [LegacyCosignSignature.SignatureAnnotation] = "" }), publicKey);
    }

    [Fact]
    public void Attestation_layer_verifies_its_DSSE_signature_and_names_the_image_as_subject()
    {
        var image = Digest.Parse(KeySignedImage);
        var (layer, key) = Attestation(image);
        var waived = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood, NoTlog));
        var result = waived.VerifyAttestation(layer, image, ArtifactPolicy.ForKey(key));
        Assert.True(result.Verified, result.Failure?.ToString());

        Assert.Equal(SigstoreCodes.SignatureSubjectMismatch, waived.VerifyAttestation(layer, Digest.Parse(KeylessImage), ArtifactPolicy.ForKey(key)).Failure?.Code);
        var (_, otherKey) = Attestation(image);
        Assert.Equal(SigstoreCodes.SignatureMismatch, waived.VerifyAttestation(layer, image, ArtifactPolicy.ForKey(otherKey)).Failure?.Code);
        var strict = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood));
        Assert.Equal(SigstoreCodes.TlogThreshold, strict.VerifyAttestation(layer, image, ArtifactPolicy.ForKey(key)).Failure?.Code);
    }

    [Fact]
    public void Attestation_layer_that_is_not_one_signed_envelope_is_rejected()
    {
        var image = Digest.Parse(KeySignedImage);
        var waived = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood, NoTlog));
        var (twice, key) = Attestation(image, signatures: 2);
        Assert.Equal(SigstoreCodes.BundleDsse, waived.VerifyAttestation(twice, image, ArtifactPolicy.ForKey(key)).Failure?.Code);
        var (none, _) = Attestation(image, signatures: 0);
        Assert.Equal(SigstoreCodes.BundleDsse, waived.VerifyAttestation(none, image, ArtifactPolicy.ForKey(key)).Failure?.Code);
        var garbage = new LegacyCosignAttestation("not json"u8.ToArray(), new Dictionary<string, string>());
        Assert.Equal(SigstoreCodes.BundleDsse, waived.VerifyAttestation(garbage, image, ArtifactPolicy.ForKey(key)).Failure?.Code);
    }

    [Fact]
    public void Without_any_timestamp_the_certificate_is_checked_at_the_injected_current_time()
    {
        var layer = Assert.Single(Layers(KeylessImage));
        var unwitnessed = layer with { Annotations = layer.Annotations.Where(a => a.Key != LegacyCosignSignature.BundleAnnotation).ToDictionary() };
        var duringValidity = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood, NoTlog, new FakeTimeProvider(new DateTimeOffset(2024, 5, 30, 15, 20, 0, TimeSpan.Zero))));
        var result = duringValidity.Verify(unwitnessed, Digest.Parse(KeylessImage), Philipp);
        Assert.True(result.Verified, result.Failure?.ToString());
        var afterExpiry = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood, NoTlog, new FakeTimeProvider(new DateTimeOffset(2024, 5, 30, 15, 30, 0, TimeSpan.Zero))));
        Assert.Equal(SigstoreCodes.CertificateChain, afterExpiry.Verify(unwitnessed, Digest.Parse(KeylessImage), Philipp).Failure?.Code);
    }

    [Theory]
    [InlineData("{}", SigstoreCodes.TimestampMalformed)]
    [InlineData("{\"SignedRFC3161Timestamp\":\"!!\"}", SigstoreCodes.TimestampMalformed)]
    [InlineData("{\"SignedRFC3161Timestamp\":\"MAA=\"}", SigstoreCodes.TimestampMalformed)]
    public void A_malformed_RFC3161_annotation_is_rejected(string annotation, string code)
    {
        var layer = Assert.Single(Layers(KeylessImage));
        var annotations = new Dictionary<string, string>(layer.Annotations) { [LegacyCosignSignature.Rfc3161Annotation] = annotation };
        var verifier = new LegacyCosignVerifier(new BundleVerifier(TrustedRoot.PublicGood));
        Assert.Equal(code, verifier.Verify(layer with { Annotations = annotations }, Digest.Parse(KeylessImage), Philipp).Failure?.Code);
    }
}
