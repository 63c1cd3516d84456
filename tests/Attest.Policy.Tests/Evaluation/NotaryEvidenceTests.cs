using System.Security.Cryptography.X509Certificates;
using Attest.Core;
using Attest.Notation.Envelopes;
using Attest.Policy.Evaluation;
using Attest.Testing;

namespace Attest.Policy.Tests.Evaluation;

/// <summary>
/// Notary Project signatures in the decision pipeline: collected from the referrers by the evidence source (only when
/// a policy has a Notation authority), verified in the verify stage against the authority's trust policy, and judged
/// like any other signature. notation-go's own signed OCI layout: its JWS and COSE envelopes over the alpine manifest,
/// signed by a self-signed "alpine" certificate.
/// </summary>
public sealed class NotaryEvidenceTests : IDisposable
{
    private const string Alpine = "sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0";
    private readonly EvaluatorRig _rig = new();

    public NotaryEvidenceTests()
    {
        Assert.True(JwsEnvelope.TryParse(File.ReadAllBytes(Vector("jws_signature.sig")), out var envelope, out _));
        File.WriteAllText(_rig.Directory.Combine("alpine.pem"), X509CertificateLoader.LoadCertificate(envelope.CertificateChain[0]).ExportCertificatePem());
    }

    public void Dispose() => _rig.Dispose();

    private static string Vector(params string[] parts) => RepositoryPaths.Vectors(["notation", "notation-go", "internal", "testdata", .. parts]);

    private static string NotaryPolicy(string identity = "x509.subject: C=US, ST=WA, O=Notary, CN=alpine") => EvaluatorRig.Policy("notary", $$$"""
          signatures:
            authorities: [{name: alpine-signer, notation: {trustStore: [alpine.pem], trustedIdentities: ["{{{identity}}}"]}}]
        """);

    /// <summary>The alpine manifest of notation-go's layout, byte for byte, in <paramref name="repository"/>.</summary>
    private Digest PushAlpine(string repository)
    {
        var digest = _rig.Source.PushManifest(EvaluatorRig.Repository(repository),
            File.ReadAllBytes(Vector("oci-layout", "blobs", "sha256", Alpine["sha256:".Length..])));
        Assert.Equal(Alpine, digest.ToString());
        return digest;
    }

    private void AttachNotationGoSignature(string repository, Digest digest, string file, string mediaType) =>
        _rig.Source.AttachNotarySignature(EvaluatorRig.Repository(repository), digest, mediaType, File.ReadAllBytes(Vector(file)));

    [Theory]
    [InlineData("jws_signature.sig", NotationMediaTypes.Jws)]
    [InlineData("cose_signature.sig", NotationMediaTypes.Cose)]
    public async Task A_notation_signature_among_the_referrers_is_collected_verified_and_judged(string file, string mediaType)
    {
        var policies = _rig.Policies(NotaryPolicy());
        var digest = PushAlpine("vendor/alpine");
        var evaluator = _rig.Evaluator();
        var unsigned = await EvaluatorRig.EvaluateAsync(evaluator, policies, "vendor/alpine", digest);
        Assert.Contains(AdmissionCodes.SignatureNone, EvaluatorRig.Codes(unsigned));

        AttachNotationGoSignature("vendor/alpine", digest, file, mediaType);
        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "vendor/alpine", digest);
        Assert.True(decision.Verdict == Verdict.Allow, EvaluatorRig.Reasons(decision));
        Assert.Contains("signature by alpine-signer", Assert.Single(Assert.Single(decision.Images).Outcomes).SatisfiedBy);
    }

    [Fact]
    public async Task A_signer_outside_the_trusted_identities_is_denied_with_the_notation_reason()
    {
        var policies = _rig.Policies(NotaryPolicy("x509.subject: C=US, ST=WA, O=Notary, CN=someone else"));
        var digest = PushAlpine("vendor/alpine");
        AttachNotationGoSignature("vendor/alpine", digest, "jws_signature.sig", NotationMediaTypes.Jws);
        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "vendor/alpine", digest);
        Assert.Equal(Verdict.Deny, decision.Verdict);
        var untrusted = Assert.Single(Assert.Single(Assert.Single(decision.Images).Outcomes).Reasons);
        Assert.Equal(AdmissionCodes.SignatureUntrusted, untrusted.Code);
        Assert.Equal("notation.identity.untrusted", Assert.Single(untrusted.Causes).Code);
    }

    [Fact]
    public async Task At_the_audit_level_an_untrusted_identity_only_logs_and_the_decision_says_so()
    {
        var policies = _rig.Policies(EvaluatorRig.Policy("notary", """
              signatures:
                authorities:
                  - name: alpine-signer
                    notation: {trustStore: [alpine.pem], trustedIdentities: ["x509.subject: C=US, ST=WA, O=Notary, CN=someone else"], verificationLevel: audit}
            """));
        var digest = PushAlpine("vendor/alpine");
        AttachNotationGoSignature("vendor/alpine", digest, "jws_signature.sig", NotationMediaTypes.Jws);
        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "vendor/alpine", digest);
        Assert.True(decision.Verdict == Verdict.Allow, EvaluatorRig.Reasons(decision));
        var outcome = Assert.Single(Assert.Single(decision.Images).Outcomes);
        Assert.Contains(outcome.SatisfiedBy, s => s.StartsWith("alpine-signer: Notary signature ", StringComparison.Ordinal)
            && s.Contains("verification level audit only logs", StringComparison.Ordinal) && s.Contains("[notation.identity.untrusted]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Notary_signatures_are_not_read_when_no_policy_has_a_notation_authority_and_do_not_count_for_a_key()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = PushAlpine("vendor/alpine");
        AttachNotationGoSignature("vendor/alpine", digest, "jws_signature.sig", NotationMediaTypes.Jws);
        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "vendor/alpine", digest);
        // Not collected at all: the image counts as unsigned, not as signed by someone else.
        Assert.Equal([AdmissionCodes.SignatureNone], EvaluatorRig.Codes(decision));
    }

    [Fact]
    public async Task A_notation_authority_does_not_accept_a_sigstore_bundle_nor_a_key_authority_a_notary_signature()
    {
        var policies = _rig.Policies(NotaryPolicy() + "\n---\n" + EvaluatorRig.ReleaseKeyPolicy());
        var digest = PushAlpine("vendor/alpine");
        _rig.Sign("vendor/alpine", digest, _rig.ReleaseKey);
        AttachNotationGoSignature("vendor/alpine", digest, "jws_signature.sig", NotationMediaTypes.Jws);
        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "vendor/alpine", digest);
        Assert.True(decision.Verdict == Verdict.Allow, EvaluatorRig.Reasons(decision));
        var outcomes = Assert.Single(decision.Images).Outcomes.ToDictionary(o => o.Policy);
        Assert.Equal(["signature by alpine-signer"], outcomes["notary"].SatisfiedBy);
        Assert.Equal(["signature by release-key"], outcomes["release"].SatisfiedBy);

        // Each alone: the other kind of evidence is set aside as another signer's, without cryptography.
        var notaryOnly = _rig.Policies(NotaryPolicy());
        var other = PushAlpineCopyWithBundleOnly();
        var denied = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), notaryOnly, "vendor/bundle-only", other);
        var untrusted = Assert.Single(Assert.Single(Assert.Single(denied.Images).Outcomes).Reasons);
        Assert.Equal(AdmissionCodes.SignatureUntrusted, untrusted.Code);
        Assert.Equal(AdmissionCodes.SignatureOtherSigner, Assert.Single(untrusted.Causes).Code);
    }

    private Digest PushAlpineCopyWithBundleOnly()
    {
        var digest = PushAlpine("vendor/bundle-only");
        _rig.Sign("vendor/bundle-only", digest, _rig.ReleaseKey);
        return digest;
    }

    [Fact]
    public async Task A_notary_signature_listed_for_the_image_but_naming_another_subject_is_refused()
    {
        var policies = _rig.Policies(NotaryPolicy());
        var digest = PushAlpine("vendor/alpine");
        var (elsewhere, _) = _rig.Source.PushImage(EvaluatorRig.Repository("vendor/alpine"));
        var signature = _rig.Source.AttachNotarySignature(EvaluatorRig.Repository("vendor/alpine"), elsewhere, NotationMediaTypes.Jws,
            File.ReadAllBytes(Vector("jws_signature.sig")));
        _rig.Source.ListReferrer(EvaluatorRig.Repository("vendor/alpine"), digest,
            new Oci.Descriptor(Oci.OciMediaTypes.ImageManifest, signature, 1, NotationMediaTypes.Signature));
        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "vendor/alpine", digest);
        Assert.Equal(Verdict.Deny, decision.Verdict);
        Assert.Contains(AdmissionCodes.EvidenceSubjectMismatch, EvaluatorRig.Codes(decision));
    }
}
