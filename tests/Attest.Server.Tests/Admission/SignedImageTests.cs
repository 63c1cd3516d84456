using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Server.Tests.Hosting;
using Attest.Testing;
using static Attest.Server.Tests.Admission.AdmissionRequests;

namespace Attest.Server.Tests.Admission;

/// <summary>
/// The validating (and mutating) webhook on images that carry real Sigstore bundles, signed offline by an
/// in-process Sigstore (ephemeral log, CA and CT log) and attached to the images as OCI referrers in the real
/// registry. Policies trust that Sigstore's trusted_root.json, as an air-gapped deployment would.
/// </summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class SignedImageTests(RegistryFixture registry) : IAsyncLifetime
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string ReleaseWorkflow = "https://github.com/example/app/.github/workflows/release.yml@refs/tags/v1.0.0";
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private readonly TestSigstore _sigstore = new();
    private readonly ECDsa _releaseKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _auditorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private TestImageRegistry _images = null!;
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        _images = new TestImageRegistry(registry.Host);
        Directory.CreateDirectory(_workspace.PolicyDirectory);
        _sigstore.WriteTrustedRoot(Path.Combine(_workspace.PolicyDirectory, "trusted_root.json"));
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "release.pub"), _releaseKey.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "auditor.pub"), _auditorKey.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "policies.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: keyed}
            spec:
              match: {images: ["{{registry.Host}}/keyed/**"]}
              signatures:
                authorities: [{name: release-key, trustedRoot: trusted_root.json, transparencyLog: required, key: {file: release.pub} }]
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: keyless}
            spec:
              match: {images: ["{{registry.Host}}/keyless/**"]}
              signatures:
                authorities:
                  - name: ci
                    trustedRoot: trusted_root.json
                    keyless:
                      identities: [{issuer: "{{Issuer}}", subjectRegExp: 'https://github\.com/example/app/\.github/workflows/release\.yml@refs/tags/v.+'}]
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: two-keys}
            spec:
              match: {images: ["{{registry.Host}}/dual/**"]}
              signatures:
                threshold: 2
                authorities:
                  - {name: release-key, trustedRoot: trusted_root.json, key: {file: release.pub} }
                  - {name: auditor, trustedRoot: trusted_root.json, key: {file: auditor.pub} }
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: sbom-required}
            spec:
              match: {images: ["{{registry.Host}}/sbom/**"]}
              authorities: [{name: release-key, trustedRoot: trusted_root.json, key: {file: release.pub} }]
              signatures: {authorities: [release-key]}
              attestations:
                - name: sbom
                  predicateType: https://cyclonedx.org/bom
                  authorities: [release-key]
                  sbom: {deniedLicenses: [GPL-3.0-only]}
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: platforms-signed}
            spec:
              match: {images: ["{{registry.Host}}/multi-signed/**"]}
              signatures:
                authorities: [{name: release-key, trustedRoot: trusted_root.json, key: {file: release.pub} }]
              platforms: {required: [linux/amd64, linux/arm64], signed: true}
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: platforms-present}
            spec:
              match: {images: ["{{registry.Host}}/multi-present/**"]}
              signatures:
                authorities: [{name: release-key, trustedRoot: trusted_root.json, key: {file: release.pub} }]
              platforms: {required: [linux/amd64, linux/arm64]}
            """);

        _server = await _workspace.StartWebhookAsync(
                $"--Attest:Registries:Insecure:0={registry.Host}",
                "--Attest:Admission:VerdictCacheSeconds=0");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _images.Dispose();
        _sigstore.Dispose();
        _releaseKey.Dispose();
        _otherKey.Dispose();
        _auditorKey.Dispose();
        _workspace.Dispose();
    }

    private Task<JsonElement> ValidateAsync(string image) => AdmissionRequests.ValidateImageAsync(_server.Client, image);

    [Fact]
    public async Task Image_signed_with_the_policy_key_is_admitted()
    {
        var digest = await _images.PushImageAsync("keyed/app", "v1");
        await _images.AttachBundleAsync("keyed/app", digest, _sigstore.SignImage(digest, _releaseKey));
        AssertAllowed(await ValidateAsync($"{registry.Host}/keyed/app@{digest}"));
    }

    [Fact]
    public async Task Image_signed_with_another_key_is_denied_as_untrusted_not_as_unsigned()
    {
        var digest = await _images.PushImageAsync("keyed/wrong-key", "v1");
        await _images.AttachBundleAsync("keyed/wrong-key", digest, _sigstore.SignImage(digest, _otherKey));
        var message = DeniedMessage(await ValidateAsync($"{registry.Host}/keyed/wrong-key@{digest}"));
        Assert.Contains("none verifies for the required authorities", message, StringComparison.Ordinal);
        Assert.Contains("release-key:", message, StringComparison.Ordinal);
        Assert.Contains("[signature.untrusted]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signature_of_another_digest_does_not_count()
    {
        var signed = await _images.PushImageAsync("keyed/swap", "signed");
        var unsigned = await _images.PushImageAsync("keyed/swap", "unsigned");
        // The signature of one image attached to another: the statement names the wrong subject.
        await _images.AttachBundleAsync("keyed/swap", unsigned, _sigstore.SignImage(signed, _releaseKey));
        var message = DeniedMessage(await ValidateAsync($"{registry.Host}/keyed/swap@{unsigned}"));
        Assert.Contains("[signature.untrusted]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tag_moved_after_signing_is_pinned_to_the_new_unsigned_digest_and_denied()
    {
        var signed = await _images.PushImageAsync("keyed/moved", "v1");
        await _images.AttachBundleAsync("keyed/moved", signed, _sigstore.SignImage(signed, _releaseKey));
        var moved = await _images.PushImageAsync("keyed/moved", "v1"); // someone pushes another image under the tag

        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", $"{registry.Host}/keyed/moved:v1");
        var (_, mutated) = await AdmissionRequests.PostAsync(_server.Client, "admission/mutate", review);
        using var patch = JsonDocument.Parse(Convert.FromBase64String(mutated.RootElement.GetProperty("response").GetProperty("patch").GetString()!));
        var pinned = patch.RootElement[0].GetProperty("value").GetString()!;
        Assert.EndsWith($"@{moved}", pinned, StringComparison.Ordinal);

        var message = DeniedMessage(await ValidateAsync(pinned));
        Assert.Contains("[signature.none]", message, StringComparison.Ordinal);
        AssertAllowed(await ValidateAsync($"{registry.Host}/keyed/moved@{signed}"));
    }

    [Fact]
    public async Task Keyless_signature_by_the_release_workflow_is_admitted_and_by_another_identity_denied()
    {
        var good = await _images.PushImageAsync("keyless/app", "v1");
        await _images.AttachBundleAsync("keyless/app", good, _sigstore.SignImageKeyless(good, ReleaseWorkflow, Issuer));
        AssertAllowed(await ValidateAsync($"{registry.Host}/keyless/app@{good}"));

        var bad = await _images.PushImageAsync("keyless/fork", "v1");
        await _images.AttachBundleAsync("keyless/fork", bad,
            _sigstore.SignImageKeyless(bad, "https://github.com/attacker/app/.github/workflows/release.yml@refs/tags/v1.0.0", Issuer));
        var message = DeniedMessage(await ValidateAsync($"{registry.Host}/keyless/fork@{bad}"));
        Assert.Contains("[signature.untrusted]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Threshold_of_two_needs_two_distinct_authorities()
    {
        var digest = await _images.PushImageAsync("dual/app", "v1");
        await _images.AttachBundleAsync("dual/app", digest, _sigstore.SignImage(digest, _releaseKey));
        await _images.AttachBundleAsync("dual/app", digest, _sigstore.SignImage(digest, _releaseKey)); // same authority twice
        var message = DeniedMessage(await ValidateAsync($"{registry.Host}/dual/app@{digest}"));
        Assert.Contains("signed by [release-key] but the policy needs 2 of [release-key, auditor]", message, StringComparison.Ordinal);
        Assert.Contains("[signature.threshold]", message, StringComparison.Ordinal);

        await _images.AttachBundleAsync("dual/app", digest, _sigstore.SignImage(digest, _auditorKey));
        AssertAllowed(await ValidateAsync($"{registry.Host}/dual/app@{digest}"));
    }

    [Fact]
    public async Task Sbom_attestation_is_required_and_its_licences_are_checked()
    {
        var missing = await _images.PushImageAsync("sbom/app", "missing");
        await _images.AttachBundleAsync("sbom/app", missing, _sigstore.SignImage(missing, _releaseKey));
        var noSbom = DeniedMessage(await ValidateAsync($"{registry.Host}/sbom/app@{missing}"));
        Assert.Contains("attestation 'sbom' (https://cyclonedx.org/bom) is missing", noSbom, StringComparison.Ordinal);
        Assert.Contains("[attestation.missing]", noSbom, StringComparison.Ordinal);

        var gpl = await _images.PushImageAsync("sbom/app", "gpl");
        await _images.AttachBundleAsync("sbom/app", gpl, _sigstore.SignImage(gpl, _releaseKey));
        await _images.AttachBundleAsync("sbom/app", gpl, _sigstore.SignImageDsse(gpl, "https://cyclonedx.org/bom", Bom("GPL-3.0-only"), _releaseKey));
        var denied = DeniedMessage(await ValidateAsync($"{registry.Host}/sbom/app@{gpl}"));
        Assert.Contains("[attestation.sbom]", denied, StringComparison.Ordinal);
        Assert.Contains("GPL-3.0-only", denied, StringComparison.Ordinal);
        Assert.Contains("left-pad", denied, StringComparison.Ordinal);

        var clean = await _images.PushImageAsync("sbom/app", "clean");
        await _images.AttachBundleAsync("sbom/app", clean, _sigstore.SignImage(clean, _releaseKey));
        await _images.AttachBundleAsync("sbom/app", clean, _sigstore.SignImageDsse(clean, "https://cyclonedx.org/bom", Bom("MIT OR GPL-3.0-only"), _releaseKey));
        AssertAllowed(await ValidateAsync($"{registry.Host}/sbom/app@{clean}"));

        // The same SBOM signed by a key the policy does not name is present but does not count.
        var foreign = await _images.PushImageAsync("sbom/app", "foreign");
        await _images.AttachBundleAsync("sbom/app", foreign, _sigstore.SignImage(foreign, _releaseKey));
        await _images.AttachBundleAsync("sbom/app", foreign, _sigstore.SignImageDsse(foreign, "https://cyclonedx.org/bom", Bom("MIT"), _otherKey));
        Assert.Contains("[attestation.untrusted]", DeniedMessage(await ValidateAsync($"{registry.Host}/sbom/app@{foreign}")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Multi_arch_index_needs_every_required_platform_signed_when_the_policy_says_so()
    {
        var (index, platforms) = await _images.PushIndexAsync("multi-signed/app", "v1", "linux/amd64", "linux/arm64", "linux/s390x");
        await _images.AttachBundleAsync("multi-signed/app", index, _sigstore.SignImage(index, _releaseKey));
        await _images.AttachBundleAsync("multi-signed/app", platforms["linux/amd64"], _sigstore.SignImage(platforms["linux/amd64"], _releaseKey));
        // The index is signed, amd64 is signed, arm64 is not: the index alone does not satisfy 'signed: true'.
        var message = DeniedMessage(await ValidateAsync($"{registry.Host}/multi-signed/app@{index}"));
        Assert.Contains($"platform linux/arm64 ({platforms["linux/arm64"]}): the image is not signed", message, StringComparison.Ordinal);
        Assert.Contains("[platform.unsigned]", message, StringComparison.Ordinal);
        Assert.DoesNotContain("linux/amd64 (", message, StringComparison.Ordinal);

        // arm64 signed by a key the policy does not name still does not count; by the release key it does.
        await _images.AttachBundleAsync("multi-signed/app", platforms["linux/arm64"], _sigstore.SignImage(platforms["linux/arm64"], _otherKey));
        Assert.Contains("[platform.unsigned]", DeniedMessage(await ValidateAsync($"{registry.Host}/multi-signed/app@{index}")), StringComparison.Ordinal);
        await _images.AttachBundleAsync("multi-signed/app", platforms["linux/arm64"], _sigstore.SignImage(platforms["linux/arm64"], _releaseKey));
        AssertAllowed(await ValidateAsync($"{registry.Host}/multi-signed/app@{index}")); // s390x is not required, so unsigned is fine

        // Platform signatures do not replace the index's: the index digest is what is verified by default.
        var (unsignedIndex, unsignedPlatforms) = await _images.PushIndexAsync("multi-signed/app", "v2", "linux/amd64", "linux/arm64");
        foreach (var digest in unsignedPlatforms.Values) await _images.AttachBundleAsync("multi-signed/app", digest, _sigstore.SignImage(digest, _releaseKey));
        Assert.Contains("[signature.none]", DeniedMessage(await ValidateAsync($"{registry.Host}/multi-signed/app@{unsignedIndex}")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Multi_arch_index_must_list_the_required_platforms()
    {
        var (complete, _) = await _images.PushIndexAsync("multi-present/app", "complete", "linux/amd64", "linux/arm64");
        await _images.AttachBundleAsync("multi-present/app", complete, _sigstore.SignImage(complete, _releaseKey));
        AssertAllowed(await ValidateAsync($"{registry.Host}/multi-present/app@{complete}")); // platforms present, only the index signed

        var (partial, _) = await _images.PushIndexAsync("multi-present/app", "partial", "linux/amd64", "linux/arm");
        await _images.AttachBundleAsync("multi-present/app", partial, _sigstore.SignImage(partial, _releaseKey));
        var missing = DeniedMessage(await ValidateAsync($"{registry.Host}/multi-present/app@{partial}"));
        Assert.Contains($"the index {partial} has no manifest for platform linux/arm64 (it offers [linux/amd64, linux/arm])", missing, StringComparison.Ordinal);
        Assert.Contains("[platform.missing]", missing, StringComparison.Ordinal);

        var single = await _images.PushImageAsync("multi-present/app", "single");
        await _images.AttachBundleAsync("multi-present/app", single, _sigstore.SignImage(single, _releaseKey));
        var notIndex = DeniedMessage(await ValidateAsync($"{registry.Host}/multi-present/app@{single}"));
        Assert.Contains("is a single-platform manifest, not an index, but the policy requires the platforms [linux/amd64, linux/arm64]", notIndex, StringComparison.Ordinal);
        Assert.Contains("[platform.not-index]", notIndex, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Legacy_cosign_signature_made_with_openssl_is_admitted()
    {
        var digest = await _images.PushImageAsync("keyed/legacy", "v1");
        var (payload, annotations) = await OpensslLegacySignatureAsync($"{registry.Host}/keyed/legacy", digest, _releaseKey);
        await _images.AttachLegacySignatureAsync("keyed/legacy", digest, payload, annotations);
        AssertAllowed(await ValidateAsync($"{registry.Host}/keyed/legacy@{digest}"));
    }

    [Fact]
    public async Task Legacy_cosign_signature_by_another_key_or_for_another_image_is_denied()
    {
        var digest = await _images.PushImageAsync("keyed/legacy-bad", "v1");
        var (foreignPayload, foreignAnnotations) = await OpensslLegacySignatureAsync($"{registry.Host}/keyed/legacy-bad", digest, _otherKey);
        await _images.AttachLegacySignatureAsync("keyed/legacy-bad", digest, foreignPayload, foreignAnnotations);
        var wrongKey = DeniedMessage(await ValidateAsync($"{registry.Host}/keyed/legacy-bad@{digest}"));
        Assert.Contains("[signature.untrusted]", wrongKey, StringComparison.Ordinal);

        // A valid signature of image A copied under image B's .sig tag: the payload names A, so it does not count for B.
        var a = await _images.PushImageAsync("keyed/legacy-copy", "a");
        var b = await _images.PushImageAsync("keyed/legacy-copy", "b");
        var (payload, annotations) = await OpensslLegacySignatureAsync($"{registry.Host}/keyed/legacy-copy", a, _releaseKey);
        await _images.AttachLegacySignatureAsync("keyed/legacy-copy", b, payload, annotations);
        var copied = DeniedMessage(await ValidateAsync($"{registry.Host}/keyed/legacy-copy@{b}"));
        Assert.Contains("[signature.untrusted]", copied, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Legacy_cosign_attestation_made_with_openssl_counts_for_the_sbom_requirement()
    {
        var digest = await _images.PushImageAsync("sbom/legacy", "clean");
        var (payload, annotations) = await OpensslLegacySignatureAsync($"{registry.Host}/sbom/legacy", digest, _releaseKey);
        await _images.AttachLegacySignatureAsync("sbom/legacy", digest, payload, annotations);
        var denied = DeniedMessage(await ValidateAsync($"{registry.Host}/sbom/legacy@{digest}"));
        Assert.Contains("[attestation.missing]", denied, StringComparison.Ordinal);

        var (envelope, attestationAnnotations) = await OpensslLegacyAttestationAsync(digest, "https://cyclonedx.org/bom", Bom("MIT"), _releaseKey);
        await _images.AttachLegacyAttestationAsync("sbom/legacy", digest, envelope, attestationAnnotations);
        AssertAllowed(await ValidateAsync($"{registry.Host}/sbom/legacy@{digest}"));
    }

    [Fact]
    public async Task Legacy_cosign_attestation_is_checked_like_any_attestation_once_verified()
    {
        var digest = await _images.PushImageAsync("sbom/legacy", "gpl");
        var (payload, annotations) = await OpensslLegacySignatureAsync($"{registry.Host}/sbom/legacy", digest, _releaseKey);
        await _images.AttachLegacySignatureAsync("sbom/legacy", digest, payload, annotations);
        var (envelope, attestationAnnotations) = await OpensslLegacyAttestationAsync(digest, "https://cyclonedx.org/bom", Bom("GPL-3.0-only"), _releaseKey);
        await _images.AttachLegacyAttestationAsync("sbom/legacy", digest, envelope, attestationAnnotations);
        var denied = DeniedMessage(await ValidateAsync($"{registry.Host}/sbom/legacy@{digest}"));
        Assert.Contains("[attestation.sbom]", denied, StringComparison.Ordinal);
        Assert.Contains("GPL-3.0-only", denied, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Legacy_cosign_attestation_that_is_unsigned_wrongly_signed_or_for_another_image_does_not_count()
    {
        // Signed by a key the policy does not name: present, but untrusted.
        var foreign = await _images.PushImageAsync("sbom/legacy-bad", "foreign");
        await SignLegacyAsync("sbom/legacy-bad", foreign);
        var (foreignEnvelope, foreignAnnotations) = await OpensslLegacyAttestationAsync(foreign, "https://cyclonedx.org/bom", Bom("MIT"), _otherKey);
        await _images.AttachLegacyAttestationAsync("sbom/legacy-bad", foreign, foreignEnvelope, foreignAnnotations);
        var wrongKey = DeniedMessage(await ValidateAsync($"{registry.Host}/sbom/legacy-bad@{foreign}"));
        Assert.Contains("attestation 'sbom' (https://cyclonedx.org/bom) is attached but not signed by [release-key]", wrongKey, StringComparison.Ordinal);
        Assert.Contains("[attestation.untrusted]", wrongKey, StringComparison.Ordinal);

        // A statement whose signature is not over it (the payload was swapped after signing).
        var tampered = await _images.PushImageAsync("sbom/legacy-bad", "tampered");
        await SignLegacyAsync("sbom/legacy-bad", tampered);
        var (signedEnvelope, signedAnnotations) = await OpensslLegacyAttestationAsync(tampered, "https://cyclonedx.org/bom", Bom("GPL-3.0-only"), _releaseKey);
        var swapped = JsonNode.Parse(signedEnvelope)!;
        swapped["payload"] = Convert.ToBase64String(Statement(tampered, "https://cyclonedx.org/bom", Bom("MIT")));
        await _images.AttachLegacyAttestationAsync("sbom/legacy-bad", tampered, System.Text.Encoding.UTF8.GetBytes(swapped.ToJsonString()), signedAnnotations);
        Assert.Contains("[attestation.untrusted]", DeniedMessage(await ValidateAsync($"{registry.Host}/sbom/legacy-bad@{tampered}")), StringComparison.Ordinal);

        // An envelope with no signature at all is not an attestation.
        var unsigned = await _images.PushImageAsync("sbom/legacy-bad", "unsigned");
        await SignLegacyAsync("sbom/legacy-bad", unsigned);
        var bare = new JsonObject
        {
            ["payloadType"] = "application/vnd.in-toto+json",
            ["payload"] = Convert.ToBase64String(Statement(unsigned, "https://cyclonedx.org/bom", Bom("MIT"))),
            ["signatures"] = new JsonArray(),
        };
        await _images.AttachLegacyAttestationAsync("sbom/legacy-bad", unsigned, System.Text.Encoding.UTF8.GetBytes(bare.ToJsonString()),
            new Dictionary<string, string> { ["dev.cosignproject.cosign/signature"] = "", ["predicateType"] = "https://cyclonedx.org/bom" });
        Assert.Contains("[attestation.missing]", DeniedMessage(await ValidateAsync($"{registry.Host}/sbom/legacy-bad@{unsigned}")), StringComparison.Ordinal);

        // A valid attestation of image A copied under image B's .att tag: B is not its subject.
        var a = await _images.PushImageAsync("sbom/legacy-copy", "a");
        var b = await _images.PushImageAsync("sbom/legacy-copy", "b");
        await SignLegacyAsync("sbom/legacy-copy", b);
        var (copiedEnvelope, copiedAnnotations) = await OpensslLegacyAttestationAsync(a, "https://cyclonedx.org/bom", Bom("MIT"), _releaseKey);
        await _images.AttachLegacyAttestationAsync("sbom/legacy-copy", b, copiedEnvelope, copiedAnnotations);
        Assert.Contains("[attestation.untrusted]", DeniedMessage(await ValidateAsync($"{registry.Host}/sbom/legacy-copy@{b}")), StringComparison.Ordinal);
    }

    private async Task SignLegacyAsync(string repository, Digest digest)
    {
        var (payload, annotations) = await OpensslLegacySignatureAsync($"{registry.Host}/{repository}", digest, _releaseKey);
        await _images.AttachLegacySignatureAsync(repository, digest, payload, annotations);
    }

    private static byte[] Statement(Digest subject, string predicateType, string predicateJson) => System.Text.Encoding.UTF8.GetBytes(new JsonObject
    {
        ["_type"] = "https://in-toto.io/Statement/v1",
        ["subject"] = new JsonArray(new JsonObject { ["name"] = "image", ["digest"] = new JsonObject { [subject.Algorithm] = subject.Hex } }),
        ["predicateType"] = predicateType,
        ["predicate"] = JsonNode.Parse(predicateJson),
    }.ToJsonString());

    /// <summary>cosign's legacy attestation layout made independently of Attest's signer: openssl signs the DSSE
    /// pre-authentication encoding of an in-toto statement (ECDSA P-256, SHA-256, DER); the envelope is the layer, the
    /// signature annotation is empty as cosign leaves it, and the test log's dsse entry and signed entry
    /// timestamp become the <c>dev.sigstore.cosign/bundle</c> annotation.</summary>
    private async Task<(byte[] Envelope, Dictionary<string, string> Annotations)> OpensslLegacyAttestationAsync(
        Digest subject, string predicateType, string predicateJson, ECDsa key)
    {
        const string payloadType = "application/vnd.in-toto+json";
        var statement = Statement(subject, predicateType, predicateJson);
        var header = System.Text.Encoding.UTF8.GetBytes($"DSSEv1 {payloadType.Length} {payloadType} {statement.Length} ");
        using var scratch = new TempDirectory();
        await File.WriteAllBytesAsync(scratch.Combine("pae"), [.. header, .. statement]);
        await File.WriteAllTextAsync(scratch.Combine("key.pem"), key.ExportPkcs8PrivateKeyPem());
        var openssl = Prerequisites.Executable("openssl", "openssl");
        await RigProcess.RunAsync(openssl, ["dgst", "-sha256", "-sign", scratch.Combine("key.pem"), "-out", scratch.Combine("sig"), scratch.Combine("pae")]);
        var signature = await File.ReadAllBytesAsync(scratch.Combine("sig"));
        var envelope = new JsonObject
        {
            ["payloadType"] = payloadType,
            ["payload"] = Convert.ToBase64String(statement),
            ["signatures"] = new JsonArray(new JsonObject { ["keyid"] = "", ["sig"] = Convert.ToBase64String(signature) }),
        };
        var annotations = new Dictionary<string, string>
        {
            ["dev.cosignproject.cosign/signature"] = "",
            ["predicateType"] = predicateType,
        };
        // Key authorities still need an observer timestamp, which the Rekor bundle's signed entry timestamp provides.
        var dsse = new Attest.Core.Dsse.DsseEnvelope(payloadType, statement, [new Attest.Core.Dsse.DsseSignature(signature, null)]);
        var entry = await _sigstore.Log.AppendAsync(Attest.Sigstore.Signing.RekorEntryBodies.Dsse(dsse, key.ExportSubjectPublicKeyInfoPem()));
        annotations["dev.sigstore.cosign/bundle"] = RekorBundleAnnotation(entry);
        return (System.Text.Encoding.UTF8.GetBytes(envelope.ToJsonString()), annotations);
    }

    private static string RekorBundleAnnotation(Attest.Sigstore.Bundles.TransparencyLogEntry entry) => new JsonObject
    {
        ["SignedEntryTimestamp"] = Convert.ToBase64String(entry.SignedEntryTimestamp!),
        ["Payload"] = new JsonObject
        {
            ["body"] = Convert.ToBase64String(entry.CanonicalizedBody),
            ["integratedTime"] = entry.IntegratedTime,
            ["logIndex"] = entry.LogIndex,
            ["logID"] = Convert.ToHexStringLower(entry.LogId),
        },
    }.ToJsonString();

    /// <summary>cosign's legacy layout made independently of Attest's signer: openssl signs the simple-signing payload
    /// (ECDSA P-256, SHA-256, DER), the test's transparency log records it as a hashedrekord entry, and its signed entry
    /// timestamp becomes the <c>dev.sigstore.cosign/bundle</c> annotation.</summary>
    private async Task<(byte[] Payload, Dictionary<string, string> Annotations)> OpensslLegacySignatureAsync(string repository, Digest digest, ECDsa key)
    {
        var payload = System.Text.Encoding.UTF8.GetBytes(
            $$"""{"critical":{"identity":{"docker-reference":"{{repository}}"},"image":{"docker-manifest-digest":"{{digest}}"},"type":"cosign container image signature"},"optional":null}""");
        using var scratch = new TempDirectory();
        await File.WriteAllBytesAsync(scratch.Combine("payload"), payload);
        await File.WriteAllTextAsync(scratch.Combine("key.pem"), key.ExportPkcs8PrivateKeyPem());
        var openssl = Prerequisites.Executable("openssl", "openssl");
        await RigProcess.RunAsync(openssl, ["dgst", "-sha256", "-sign", scratch.Combine("key.pem"), "-out", scratch.Combine("sig"), scratch.Combine("payload")]);
        var signature = await File.ReadAllBytesAsync(scratch.Combine("sig"));

        var body = Attest.Sigstore.Signing.RekorEntryBodies.HashedRekord(Digest.Sha256(payload), signature, key.ExportSubjectPublicKeyInfoPem());
        var entry = await _sigstore.Log.AppendAsync(body);
        var rekorBundle = new JsonObject
        {
            ["SignedEntryTimestamp"] = Convert.ToBase64String(entry.SignedEntryTimestamp!),
            ["Payload"] = new JsonObject
            {
                ["body"] = Convert.ToBase64String(entry.CanonicalizedBody),
                ["integratedTime"] = entry.IntegratedTime,
                ["logIndex"] = entry.LogIndex,
                ["logID"] = Convert.ToHexStringLower(entry.LogId),
            },
        };
        return (payload, new Dictionary<string, string>
        {
            ["dev.cosignproject.cosign/signature"] = Convert.ToBase64String(signature),
            ["dev.sigstore.cosign/bundle"] = rekorBundle.ToJsonString(),
        });
    }

    private static string Bom(string licenseExpression) => new JsonObject
    {
        ["bomFormat"] = "CycloneDX",
        ["specVersion"] = "1.5",
        ["serialNumber"] = $"urn:uuid:{Guid.NewGuid()}",
        ["version"] = 1,
        ["metadata"] = new JsonObject { ["timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) },
        ["components"] = new JsonArray(new JsonObject
        {
            ["type"] = "library",
            ["bom-ref"] = "pkg:npm/left-pad@1.3.0",
            ["name"] = "left-pad",
            ["version"] = "1.3.0",
            ["purl"] = "pkg:npm/left-pad@1.3.0",
            ["licenses"] = new JsonArray(new JsonObject { ["expression"] = licenseExpression }),
        }),
    }.ToJsonString();
}
