using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Notation.Envelopes;
using Attest.Notation.Signing;
using Attest.Oci;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Admission;

/// <summary>
/// Notary Project signatures through the webhook, in the real registry: notation-go's own signed OCI layout (its
/// JWS and COSE signatures of the alpine manifest), and signatures this test makes from the specification over an
/// openssl-made chain, attached as referrers of artifact type application/vnd.cncf.notary.signature.
/// </summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class NotationAdmissionTests(RegistryFixture registry) : IAsyncLifetime
{
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private TestImageRegistry _images = null!;
    private PkiChain _chain = null!;
    private PkiChain _expired = null!;
    private ServerProcess _server = null!;

    private static string Vector(params string[] parts) => RepositoryPaths.Vectors(["notation", "notation-go", "internal", "testdata", .. parts]);

    public async Task InitializeAsync()
    {
        _images = new TestImageRegistry(registry.Host);
        Directory.CreateDirectory(_workspace.PolicyDirectory);
        _chain = await PkiChain.CreateAsync(_workspace.Combine("pki"));
        File.Copy(_chain.Root.CertificateFile, Path.Combine(_workspace.PolicyDirectory, "acme-root.crt"));
        _expired = await PkiChain.CreateAsync(_workspace.Combine("expired-pki"), new PkiOptions
        {
            LeafNotBefore = DateTimeOffset.UtcNow.AddDays(-30), LeafNotAfter = DateTimeOffset.UtcNow.AddDays(-1),
        });
        File.Copy(_expired.Root.CertificateFile, Path.Combine(_workspace.PolicyDirectory, "expired-root.crt"));
        // A trust store directory outside the policy directory, holding at first only a root that is not acme's.
        Directory.CreateDirectory(RotatingStore);
        File.Copy(_expired.Root.CertificateFile, Path.Combine(RotatingStore, "expired-root.crt"));
        // notation-go's envelopes are signed by a self-signed "alpine" certificate: that certificate is the trust store.
        Assert.True(JwsEnvelope.TryParse(File.ReadAllBytes(Vector("jws_signature.sig")), out var envelope, out _));
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "alpine.pem"), X509CertificateLoader.LoadCertificate(envelope.CertificateChain[0]).ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "policies.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: notation-go-layout}
            spec:
              match: {images: ["{{registry.Host}}/notation-go/**"]}
              signatures:
                authorities:
                  - name: alpine-signer
                    notation:
                      trustStore: [alpine.pem]
                      trustedIdentities: ["x509.subject: C=US, ST=WA, O=Notary, CN=alpine"]
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: acme-notation}
            spec:
              match: {images: ["{{registry.Host}}/notation/**"]}
              signatures:
                authorities:
                  - name: acme
                    notation:
                      trustStore: {ca: [acme-root.crt]}
                      trustedIdentities: ["x509.subject: C=US, ST=WA, O=Attest Test, CN=release signer"]
                      verificationLevel: strict
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: expired-trust}
            spec:
              match: {images: ["{{registry.Host}}/notation-expired/**"]}
              signatures:
                authorities: [{name: expired-ca, notation: {trustStore: [expired-root.crt], trustedIdentities: ["*"]} }]
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: rotating-trust}
            spec:
              match: {images: ["{{registry.Host}}/notation-rotating/**"]}
              signatures:
                authorities: [{name: rotating, notation: {trustStore: ["{{RotatingStore}}"], trustedIdentities: ["*"]} }]
            """);
        _server = await _workspace.StartWebhookAsync($"--Attest:Registries:Insecure:0={registry.Host}", "--Attest:Admission:VerdictCacheSeconds=0");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _images.Dispose();
        _workspace.Dispose();
    }

    private string RotatingStore => _workspace.Combine("rotating-store");

    private Task<JsonElement> ValidateAsync(string image) => AdmissionRequests.ValidateImageAsync(_server.Client, image);

    private static void AssertAllowed(JsonElement response) => AdmissionRequests.AssertAllowed(response);

    private static string Denied(JsonElement response) => AdmissionRequests.DeniedMessage(response);

    /// <summary>The alpine manifest of notation-go's OCI layout, pushed byte for byte (its config and layer too).</summary>
    private async Task<Digest> PushNotationGoAlpineAsync(string repository)
    {
        var blobs = Vector("oci-layout", "blobs", "sha256");
        await _images.Client.PushBlobAsync(registry.Host, repository, await File.ReadAllBytesAsync(Path.Combine(blobs, "572996c3caeacea40b947911a9dda21516c082b5a64af30048a02a6f5eb956d4")));
        await _images.Client.PushBlobAsync(registry.Host, repository, await File.ReadAllBytesAsync(Path.Combine(blobs, "63b65145d645c1250c391b2d16ebe53b3747c295ca8ba2fcb6b0cf064a4dc21c")));
        var manifest = await File.ReadAllBytesAsync(Path.Combine(blobs, "19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0"));
        return await _images.Client.PushManifestAsync(registry.Host, repository, "v2", manifest, OciMediaTypes.ImageManifest);
    }

    [Theory]
    [InlineData("jws_signature.sig", NotationMediaTypes.Jws)]
    [InlineData("cose_signature.sig", NotationMediaTypes.Cose)]
    public async Task Image_signed_by_notation_go_is_admitted_under_a_trust_policy_for_its_signer(string file, string mediaType)
    {
        var repository = "notation-go/alpine-" + mediaType.Split('/')[1].Split('+')[0];
        var digest = await PushNotationGoAlpineAsync(repository);
        Assert.Equal("sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0", digest.ToString());
        Assert.Contains("[signature.none]", Denied(await ValidateAsync($"{registry.Host}/{repository}@{digest}")), StringComparison.Ordinal);

        await _images.AttachNotationSignatureAsync(repository, digest, mediaType, await File.ReadAllBytesAsync(Vector(file)));
        AssertAllowed(await ValidateAsync($"{registry.Host}/{repository}@{digest}"));
    }

    private async Task<(Digest Digest, long Size)> PushAsync(string repository)
    {
        var digest = await _images.PushImageAsync(repository, "v1");
        var manifest = await _images.Client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/{repository}@{digest}"));
        return (digest, manifest.Content.Length);
    }

    private static NotationSignRequest Request(PkiChain chain, Digest digest, long size) => new()
    {
        Payload = NotationSigner.Payload(OciMediaTypes.ImageManifest, digest, size),
        CertificateChain = chain.Certificates,
        Key = chain.Leaf.Key,
        SigningTime = DateTimeOffset.UtcNow.AddMinutes(-1),
        SigningAgent = "attest-tests/1.0",
    };

    [Theory]
    [InlineData(NotationMediaTypes.Jws)]
    [InlineData(NotationMediaTypes.Cose)]
    public async Task Test_made_signature_over_the_trusted_chain_is_admitted(string mediaType)
    {
        var repository = "notation/good-" + (mediaType == NotationMediaTypes.Jws ? "jws" : "cose");
        var (digest, size) = await PushAsync(repository);
        var request = Request(_chain, digest, size);
        var envelope = mediaType == NotationMediaTypes.Jws ? NotationSigner.SignJws(request) : NotationSigner.SignCose(request);
        await _images.AttachNotationSignatureAsync(repository, digest, mediaType, envelope, _chain.Certificates.Select(c => c.RawData).ToList());
        AssertAllowed(await ValidateAsync($"{registry.Host}/{repository}@{digest}"));
    }

    [Fact]
    public async Task Signature_by_an_untrusted_chain_is_denied()
    {
        var other = await PkiChain.CreateAsync(_workspace.Combine("other-pki"));
        var (digest, size) = await PushAsync("notation/untrusted");
        await _images.AttachNotationSignatureAsync("notation/untrusted", digest, NotationMediaTypes.Jws, NotationSigner.SignJws(Request(other, digest, size)));
        var message = Denied(await ValidateAsync($"{registry.Host}/notation/untrusted@{digest}"));
        Assert.Contains("[signature.untrusted]", message, StringComparison.Ordinal);
        Assert.Contains("[notation.chain.untrusted]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signature_by_an_expired_certificate_is_denied()
    {
        // Signed while the certificate was valid, but nothing (no trusted timestamp) says so: it is expired now.
        var (digest, size) = await PushAsync("notation-expired/app");
        var request = Request(_expired, digest, size) with { SigningTime = DateTimeOffset.UtcNow.AddDays(-10) };
        await _images.AttachNotationSignatureAsync("notation-expired/app", digest, NotationMediaTypes.Cose, NotationSigner.SignCose(request));
        var message = Denied(await ValidateAsync($"{registry.Host}/notation-expired/app@{digest}"));
        Assert.Contains("[notation.certificate.expired]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signature_with_a_tampered_payload_is_denied()
    {
        var (digest, size) = await PushAsync("notation/tampered");
        var envelope = JsonNode.Parse(NotationSigner.SignJws(Request(_chain, digest, size)))!;
        // Same digest, a size the signer did not sign: the payload no longer matches the signature.
        envelope["payload"] = Convert.ToBase64String(NotationSigner.Payload(OciMediaTypes.ImageManifest, digest, size + 1)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await _images.AttachNotationSignatureAsync("notation/tampered", digest, NotationMediaTypes.Jws, Encoding.UTF8.GetBytes(envelope.ToJsonString()));
        var message = Denied(await ValidateAsync($"{registry.Host}/notation/tampered@{digest}"));
        Assert.Contains("[notation.signature.invalid]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signature_for_another_digest_is_denied()
    {
        var (signed, signedSize) = await PushAsync("notation/swap-signed");
        var (unsigned, _) = await PushAsync("notation/swap");
        await _images.AttachNotationSignatureAsync("notation/swap", unsigned, NotationMediaTypes.Jws, NotationSigner.SignJws(Request(_chain, signed, signedSize)));
        var message = Denied(await ValidateAsync($"{registry.Host}/notation/swap@{unsigned}"));
        Assert.Contains("[notation.payload.mismatch]", message, StringComparison.Ordinal);
        Assert.Contains($"the signature is for {signed}", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_root_added_to_a_trust_store_directory_outside_the_policy_directory_admits_without_a_restart()
    {
        var (digest, size) = await PushAsync("notation-rotating/app");
        await _images.AttachNotationSignatureAsync("notation-rotating/app", digest, NotationMediaTypes.Jws, NotationSigner.SignJws(Request(_chain, digest, size)));
        var image = $"{registry.Host}/notation-rotating/app@{digest}";
        Assert.Contains("[notation.chain.untrusted]", Denied(await ValidateAsync(image)), StringComparison.Ordinal);

        File.Copy(_chain.Root.CertificateFile, Path.Combine(RotatingStore, "acme-root.crt"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(await ValidateAsync(image)).GetProperty("allowed").GetBoolean())
        {
            Assert.True(DateTime.UtcNow < deadline, "the image is still denied 10 s after its root was added to the trust store directory");
            await Task.Delay(100);
        }
    }
}
