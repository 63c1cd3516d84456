using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Oci;
using Attest.Server.Tests.Admission;
using Attest.Server.Tests.Hosting;
using Attest.Testing;
using static Attest.Server.Tests.Admission.AdmissionRequests;

namespace Attest.Server.Tests.Signing;

/// <summary>
/// <c>push</c> on /v1/signatures and /v1/attestations against the real registry: what lands there is cosign's layout
/// (checked byte by byte with openssl for the legacy <c>.sig</c>), and the validating webhook, given a policy that
/// trusts the managed key and Attest's own trusted_root.json, admits images signed this way and nothing else.
/// </summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class RegistryPushTests(RegistryFixture registry) : IAsyncLifetime
{
    private const string TestResults = "https://attest.dev/test-results/v1";
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private TestImageRegistry _images = null!;
    private ServerProcess _server = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _images = new TestImageRegistry(registry.Host);
        Directory.CreateDirectory(_workspace.PolicyDirectory);
        _server = await _workspace.StartWebhookAsync(
            $"--Attest:Registries:Insecure:0={registry.Host}",
            "--Attest:Admission:VerdictCacheSeconds=0");
        _token = await _server.TokenForScopesAsync(_workspace.DataDirectory, "sign", "verify");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _images.Dispose();
        _workspace.Dispose();
    }

    [Fact]
    public async Task Legacy_signature_pushed_by_tag_verifies_with_openssl_and_fails_when_a_payload_byte_flips()
    {
        var digest = await _images.PushImageAsync("openssl/app", "v1");
        var (status, body) = await PostAsync("v1/signatures", new JsonObject { ["push"] = new JsonObject { ["image"] = $"{registry.Host}/openssl/app:v1" } });
        Assert.True(status == 201, body.ToJsonString());
        var pushed = body["pushed"]!;
        Assert.Equal($"{registry.Host}/openssl/app@{digest}", pushed["image"]!.GetValue<string>()); // the tag was resolved before signing
        var tag = $"sha256-{digest.Hex}.sig";
        Assert.Equal(tag, pushed["legacyTag"]!.GetValue<string>());
        Assert.NotNull(pushed["referrer"]);

        // Fetch what any registry client sees, without Attest's client.
        var manifestText = await GetFromRegistryAsync($"v2/openssl/app/manifests/{tag}", OciMediaTypes.ImageManifest);
        Assert.Equal(pushed["legacyManifest"]!.GetValue<string>(), Digest.Sha256(Encoding.UTF8.GetBytes(manifestText)).ToString());
        var manifest = JsonNode.Parse(manifestText)!;
        var layer = Assert.Single(manifest["layers"]!.AsArray())!;
        Assert.Equal("application/vnd.dev.cosign.simplesigning.v1+json", layer["mediaType"]!.GetValue<string>());
        var payload = await GetBytesFromRegistryAsync($"v2/openssl/app/blobs/{layer["digest"]!.GetValue<string>()}");
        using (var claim = JsonDocument.Parse(payload))
        {
            var critical = claim.RootElement.GetProperty("critical");
            Assert.Equal(digest.ToString(), critical.GetProperty("image").GetProperty("docker-manifest-digest").GetString());
            Assert.Equal($"{registry.Host}/openssl/app", critical.GetProperty("identity").GetProperty("docker-reference").GetString());
            Assert.Equal("cosign container image signature", critical.GetProperty("type").GetString());
            Assert.Equal(JsonValueKind.Null, claim.RootElement.GetProperty("optional").ValueKind);
        }
        var annotations = layer["annotations"]!;
        var signature = Convert.FromBase64String(annotations["dev.cosignproject.cosign/signature"]!.GetValue<string>());
        using (var rekorBundle = JsonDocument.Parse(annotations["dev.sigstore.cosign/bundle"]!.GetValue<string>()))
        {
            Assert.Equal(body["pushed"]!["legacyLogIndex"]!.GetValue<long>(), rekorBundle.RootElement.GetProperty("Payload").GetProperty("logIndex").GetInt64());
            using var entry = JsonDocument.Parse(Convert.FromBase64String(rekorBundle.RootElement.GetProperty("Payload").GetProperty("body").GetString()!));
            Assert.Equal("hashedrekord", entry.RootElement.GetProperty("kind").GetString());
            Assert.Equal(Digest.Sha256(payload).Hex, entry.RootElement.GetProperty("spec").GetProperty("data").GetProperty("hash").GetProperty("value").GetString());
        }

        using var scratch = new TempDirectory();
        await File.WriteAllTextAsync(scratch.Combine("key.pem"), await ActivePublicKeyAsync());
        await File.WriteAllBytesAsync(scratch.Combine("sig.der"), signature);
        await File.WriteAllBytesAsync(scratch.Combine("payload"), payload);
        var openssl = Prerequisites.Executable("openssl", "openssl");
        string[] verify = ["dgst", "-sha256", "-verify", scratch.Combine("key.pem"), "-signature", scratch.Combine("sig.der"), scratch.Combine("payload")];
        var (ok, output) = await RigProcess.RunAsync(openssl, verify, check: false);
        Assert.True(ok == 0, output);
        Assert.Contains("Verified OK", output, StringComparison.Ordinal);

        var tampered = (byte[])payload.Clone();
        tampered[tampered.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(scratch.Combine("payload"), tampered);
        var (failed, failure) = await RigProcess.RunAsync(openssl, verify, check: false);
        Assert.NotEqual(0, failed);
        Assert.Contains("Verification failure", failure, StringComparison.Ordinal);

        // A second signature is appended to the .sig manifest, as cosign does, not written over the first.
        (status, body) = await PostAsync("v1/signatures", new JsonObject { ["push"] = new JsonObject { ["image"] = $"{registry.Host}/openssl/app@{digest}", ["referrer"] = false } });
        Assert.True(status == 201, body.ToJsonString());
        Assert.Null(body["pushed"]!["referrer"]);
        var appended = JsonNode.Parse(await GetFromRegistryAsync($"v2/openssl/app/manifests/{tag}", OciMediaTypes.ImageManifest))!;
        Assert.Equal(2, appended["layers"]!.AsArray().Count);
        Assert.Equal(layer["annotations"]!["dev.cosignproject.cosign/signature"]!.GetValue<string>(),
            appended["layers"]![0]!["annotations"]!["dev.cosignproject.cosign/signature"]!.GetValue<string>());

        // Concurrent signings of the same image do not drop each other's layer.
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => SignAsync($"{registry.Host}/openssl/app@{digest}", referrer: false, legacy: true)));
        var concurrent = JsonNode.Parse(await GetFromRegistryAsync($"v2/openssl/app/manifests/{tag}", OciMediaTypes.ImageManifest))!;
        Assert.Equal(5, concurrent["layers"]!.AsArray().Count);
    }

    [Fact]
    public async Task Referrer_and_attestation_are_in_cosigns_layouts()
    {
        var digest = await _images.PushImageAsync("layout/app", "v1");
        var (status, body) = await PostAsync("v1/attestations", new JsonObject
        {
            ["predicateType"] = TestResults,
            ["predicate"] = new JsonObject { ["result"] = "passed" },
            ["push"] = new JsonObject { ["image"] = $"{registry.Host}/layout/app@{digest}" },
        });
        Assert.True(status == 201, body.ToJsonString());
        using (var statement = JsonDocument.Parse(Convert.FromBase64String(body["bundle"]!["dsseEnvelope"]!["payload"]!.GetValue<string>())))
        {
            var subject = Assert.Single(statement.RootElement.GetProperty("subject").EnumerateArray());
            Assert.Equal($"{registry.Host}/layout/app", subject.GetProperty("name").GetString());
            Assert.Equal(digest.Hex, subject.GetProperty("digest").GetProperty("sha256").GetString());
        }

        var referrers = await _images.Client.GetReferrersAsync(registry.Host, "layout/app", digest);
        var referrer = Assert.Single(referrers);
        Assert.Equal(body["pushed"]!["referrer"]!.GetValue<string>(), referrer.Digest.ToString());
        Assert.Equal(OciMediaTypes.SigstoreBundle, referrer.ArtifactType);
        var manifest = await _images.Client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/layout/app@{referrer.Digest}"));
        Assert.Equal(digest, manifest.Subject!.Digest);
        Assert.Equal(OciMediaTypes.SigstoreBundle, manifest.ArtifactType);
        Assert.Equal(OciMediaTypes.Empty, manifest.Config!.MediaType);
        var bundleLayer = Assert.Single(manifest.Layers);
        Assert.Equal(OciMediaTypes.SigstoreBundle, bundleLayer.MediaType);
        var bundle = await _images.Client.GetBlobAsync(registry.Host, "layout/app", bundleLayer.Digest);
        using (var pushedBundle = JsonDocument.Parse(bundle))
            Assert.Equal(body["bundle"]!["dsseEnvelope"]!["signatures"]![0]!["sig"]!.GetValue<string>(),
                pushedBundle.RootElement.GetProperty("dsseEnvelope").GetProperty("signatures")[0].GetProperty("sig").GetString());

        // The bundles as pulled from the registry verify for the image (its manifest bytes are the artifact) with
        // attest verify-bundle and sigstore-js, and not for another image.
        (status, body) = await PostAsync("v1/signatures", new JsonObject { ["push"] = new JsonObject { ["image"] = $"{registry.Host}/layout/app@{digest}", ["legacy"] = false } });
        Assert.True(status == 201, body.ToJsonString());
        var signatureManifest = await _images.Client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/layout/app@{body["pushed"]!["referrer"]!.GetValue<string>()}"));
        var signatureBundle = await _images.Client.GetBlobAsync(registry.Host, "layout/app", Assert.Single(signatureManifest.Layers).Digest);
        Assert.Equal("https://sigstore.dev/cosign/sign/v1", StatementOf(signatureBundle).GetProperty("predicateType").GetString());
        Assert.Equal("dsse-envelope", signatureManifest.Annotations["dev.sigstore.bundle.content"]);
        Assert.Equal("https://sigstore.dev/cosign/sign/v1", signatureManifest.Annotations["dev.sigstore.bundle.predicateType"]);
        using var scratch = new TempDirectory();
        var imageManifest = scratch.Combine("image-manifest.json");
        await File.WriteAllBytesAsync(imageManifest, (await _images.Client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/layout/app@{digest}"))).Content.ToArray());
        var otherImage = scratch.Combine("other-manifest.json");
        var other = await _images.PushImageAsync("layout/other", "v1");
        await File.WriteAllBytesAsync(otherImage, (await _images.Client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/layout/other@{other}"))).Content.ToArray());
        await File.WriteAllTextAsync(scratch.Combine("key.pem"), await ActivePublicKeyAsync());
        using (var root = await _server.SendAsync(HttpMethod.Get, "v1/trusted-root", _token))
            await File.WriteAllBytesAsync(scratch.Combine("trusted_root.json"), await root.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync());
        foreach (var (name, pulled) in new[] { ("signature.json", signatureBundle), ("attestation.json", bundle) })
        {
            await File.WriteAllBytesAsync(scratch.Combine(name), pulled);
            string[] arguments = ["verify-bundle", "--bundle", scratch.Combine(name), "--key", scratch.Combine("key.pem"), "--trusted-root", scratch.Combine("trusted_root.json")];
            var attest = await CliRunner.RunAsync(scratch.Path, [.. arguments, imageManifest]);
            Assert.True(attest.ExitCode == 0, attest.StandardError + attest.StandardOutput);
            Assert.NotEqual(0, (await CliRunner.RunAsync(scratch.Path, [.. arguments, otherImage])).ExitCode);
            var (exit, output) = await SigstoreJs.VerifyAsync(scratch.Combine(name), scratch.Combine("trusted_root.json"), scratch.Combine("key.pem"), imageManifest);
            Assert.True(exit == 0, output);
            (exit, output) = await SigstoreJs.VerifyAsync(scratch.Combine(name), scratch.Combine("trusted_root.json"), scratch.Combine("key.pem"), otherImage);
            Assert.True(exit == 1 && output.StartsWith("FAIL", StringComparison.Ordinal), output);
        }

        var att = await _images.Client.GetCosignArtifactAsync(ImageReference.Parse($"{registry.Host}/layout/app"), digest, CosignArtifact.Attestation);
        var attLayer = Assert.Single(att!.Layers);
        Assert.Equal(OciMediaTypes.DsseEnvelope, attLayer.MediaType);
        Assert.Equal(TestResults, attLayer.Annotations!["predicateType"]);
        Assert.True(attLayer.Annotations.ContainsKey("dev.sigstore.cosign/bundle"));
        using var envelope = JsonDocument.Parse(await _images.Client.GetBlobAsync(registry.Host, "layout/app", attLayer.Digest));
        Assert.Equal("application/vnd.in-toto+json", envelope.RootElement.GetProperty("payloadType").GetString());
    }

    [Fact]
    public async Task Webhook_admits_images_signed_through_the_api_and_denies_unsigned_ones()
    {
        await TrustAttestAsync();

        var viaReferrer = await _images.PushImageAsync("signed/referrer", "v1");
        await SignAsync($"{registry.Host}/signed/referrer@{viaReferrer}", referrer: true, legacy: false);
        AssertAllowed(await ValidateAsync($"{registry.Host}/signed/referrer@{viaReferrer}"));

        var viaLegacy = await _images.PushImageAsync("signed/legacy", "v1");
        await SignAsync($"{registry.Host}/signed/legacy@{viaLegacy}", referrer: false, legacy: true);
        Assert.Empty(await _images.Client.GetReferrersAsync(registry.Host, "signed/legacy", viaLegacy)); // the .sig alone counts
        AssertAllowed(await ValidateAsync($"{registry.Host}/signed/legacy@{viaLegacy}"));

        var unsigned = await _images.PushImageAsync("signed/unsigned", "v1");
        Assert.Contains("[signature.none]", DeniedMessage(await ValidateAsync($"{registry.Host}/signed/unsigned@{unsigned}")), StringComparison.Ordinal);

        // Signed but not attested: the attestation requirement fails; attested through the API: admitted.
        var image = await _images.PushImageAsync("attested/app", "v1");
        await SignAsync($"{registry.Host}/attested/app@{image}", referrer: true, legacy: true);
        Assert.Contains("[attestation.missing]", DeniedMessage(await ValidateAsync($"{registry.Host}/attested/app@{image}")), StringComparison.Ordinal);
        var (status, body) = await PostAsync("v1/attestations", new JsonObject
        {
            ["predicateType"] = TestResults,
            ["predicate"] = new JsonObject { ["result"] = "passed" },
            ["push"] = new JsonObject { ["image"] = $"{registry.Host}/attested/app:v1" },
        });
        Assert.True(status == 201, body.ToJsonString());
        AssertAllowed(await ValidateAsync($"{registry.Host}/attested/app@{image}"));

        // Legacy layouts alone (.sig and .att, no referrers) satisfy the same policy.
        var legacyOnly = await _images.PushImageAsync("attested/legacy", "v1");
        await SignAsync($"{registry.Host}/attested/legacy@{legacyOnly}", referrer: false, legacy: true);
        (status, body) = await PostAsync("v1/attestations", new JsonObject
        {
            ["predicateType"] = TestResults,
            ["predicate"] = new JsonObject { ["result"] = "passed" },
            ["push"] = new JsonObject { ["image"] = $"{registry.Host}/attested/legacy@{legacyOnly}", ["referrer"] = false },
        });
        Assert.True(status == 201, body.ToJsonString());
        Assert.Empty(await _images.Client.GetReferrersAsync(registry.Host, "attested/legacy", legacyOnly));
        AssertAllowed(await ValidateAsync($"{registry.Host}/attested/legacy@{legacyOnly}"));

        // An attestation whose predicate fails the condition does not satisfy it.
        var failing = await _images.PushImageAsync("attested/failing", "v1");
        await SignAsync($"{registry.Host}/attested/failing@{failing}", referrer: true, legacy: false);
        (status, body) = await PostAsync("v1/attestations", new JsonObject
        {
            ["predicateType"] = TestResults,
            ["predicate"] = new JsonObject { ["result"] = "failed" },
            ["push"] = new JsonObject { ["image"] = $"{registry.Host}/attested/failing@{failing}", ["legacy"] = false },
        });
        Assert.True(status == 201, body.ToJsonString());
        var conditionFailed = DeniedMessage(await ValidateAsync($"{registry.Host}/attested/failing@{failing}"));
        Assert.True(conditionFailed.Contains("[attestation.condition-failed]", StringComparison.Ordinal), conditionFailed);
    }

    [Fact]
    public async Task Registry_failures_are_502_and_say_whether_the_signature_was_logged()
    {
        // Nothing to resolve: nothing is signed.
        var (status, body) = await PostAsync("v1/signatures", new JsonObject { ["push"] = new JsonObject { ["image"] = $"{registry.Host}/absent/app:v1" } });
        Assert.Equal(502, status);
        Assert.Contains("[registry.not-found]", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Nothing was signed", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // The .sig tag already holds an index: the referrer is pushed, the legacy layer is refused, and the
        // signatures are in the ledger.
        var digest = await _images.PushImageAsync("broken/app", "v1");
        var index = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageIndex}}","manifests":[]}""");
        await _images.Client.PushManifestAsync(registry.Host, "broken/app", RegistryClient.CosignTag(digest, CosignArtifact.Signature), index, OciMediaTypes.ImageIndex);
        (status, body) = await PostAsync("v1/signatures", new JsonObject { ["push"] = new JsonObject { ["image"] = $"{registry.Host}/broken/app@{digest}" } });
        Assert.Equal(502, status);
        var detail = body["detail"]!.GetValue<string>();
        Assert.Contains("[registry.rejected]", detail, StringComparison.Ordinal);
        Assert.Contains("recorded in the ledger", detail, StringComparison.Ordinal);
        Assert.Contains("the referrer sha256:", detail, StringComparison.Ordinal);
        Assert.Single(await _images.Client.GetReferrersAsync(registry.Host, "broken/app", digest));
        // Both signatures (the referrer's DSSE statement and the legacy payload's hashedrekord) are ledger entries for the image.
        var ledger = await CliRunner.RunAsync(_workspace.Path, "ledger", "query", "--db", Path.Combine(_workspace.DataDirectory, "ledger.db"), "--digest", digest.ToString());
        Assert.True(ledger.ExitCode == 0, ledger.StandardError);
        Assert.Contains("dsse", ledger.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("hashedrekord", ledger.StandardOutput, StringComparison.Ordinal);

        // A .sig tag already holding as many layers as verifiers examine is not appended to (a new layer would be invisible).
        var full = await _images.PushImageAsync("broken/full", "v1");
        var payload = await _images.Client.PushBlobAsync(registry.Host, "broken/full", "{}"u8.ToArray());
        var layers = string.Join(",", Enumerable.Repeat($$"""{"mediaType":"{{OciMediaTypes.CosignSimpleSigning}}","digest":"{{payload}}","size":2}""", 32));
        var config = await _images.Client.PushBlobAsync(registry.Host, "broken/full", ManifestWriter.EmptyJson);
        await _images.Client.PushManifestAsync(registry.Host, "broken/full", RegistryClient.CosignTag(full, CosignArtifact.Signature),
            Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}","config":{"mediaType":"{{OciMediaTypes.ImageConfig}}","digest":"{{config}}","size":2},"layers":[{{layers}}]}"""),
            OciMediaTypes.ImageManifest);
        (status, body) = await PostAsync("v1/signatures", new JsonObject { ["push"] = new JsonObject { ["image"] = $"{registry.Host}/broken/full@{full}", ["referrer"] = false } });
        Assert.Equal(502, status);
        Assert.Contains("already holds 32 layers", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("nothing was pushed", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // A digest that is not the image's is refused before anything is signed.
        (status, body) = await PostAsync("v1/signatures", new JsonObject
        {
            ["digest"] = Digest.Sha256("other"u8).ToString(),
            ["push"] = new JsonObject { ["image"] = $"{registry.Host}/broken/app@{digest}" },
        });
        Assert.Equal(400, status);
        Assert.Contains("is not the digest of", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        (status, _) = await PostAsync("v1/signatures", new JsonObject { ["push"] = new JsonObject { ["image"] = "not a reference" } });
        Assert.Equal(400, status);
        (status, _) = await PostAsync("v1/signatures", new JsonObject { ["push"] = new JsonObject { ["image"] = $"{registry.Host}/broken/app@{digest}", ["referrer"] = false, ["legacy"] = false } });
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task Ed25519_key_pushes_the_referrer_signature_and_refuses_a_legacy_sig_it_cannot_log()
    {
        using var workspace = new ServerWorkspace(withPolicies: false);
        Directory.CreateDirectory(workspace.PolicyDirectory);
        await using var server = await workspace.Start($"--Attest:Registries:Insecure:0={registry.Host}", "--Attest:Signing:Algorithm=ed25519").WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "sign");
        var digest = await _images.PushImageAsync("ed25519/app", "v1");

        using (var refused = await server.SendAsync(HttpMethod.Post, "v1/signatures", token,
                   JsonContent.Create(new JsonObject { ["push"] = new JsonObject { ["image"] = $"{registry.Host}/ed25519/app@{digest}" } })))
        {
            Assert.Equal(400, (int)refused.StatusCode);
            Assert.Contains("legacy: false", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Null(await _images.Client.GetCosignArtifactAsync(ImageReference.Parse($"{registry.Host}/ed25519/app"), digest, CosignArtifact.Signature));
        Assert.Empty(await _images.Client.GetReferrersAsync(registry.Host, "ed25519/app", digest)); // refused before signing anything

        using var signed = await server.SendAsync(HttpMethod.Post, "v1/signatures", token,
            JsonContent.Create(new JsonObject { ["push"] = new JsonObject { ["image"] = $"{registry.Host}/ed25519/app@{digest}", ["legacy"] = false } }));
        Assert.Equal(201, (int)signed.StatusCode);
        var body = JsonNode.Parse(await signed.Content.ReadAsStringAsync())!;
        Assert.Equal(body["pushed"]!["referrer"]!.GetValue<string>(), Assert.Single(await _images.Client.GetReferrersAsync(registry.Host, "ed25519/app", digest)).Digest.ToString());
        using var statement = JsonDocument.Parse(Convert.FromBase64String(body["bundle"]!["dsseEnvelope"]!["payload"]!.GetValue<string>()));
        Assert.Equal("https://sigstore.dev/cosign/sign/v1", statement.RootElement.GetProperty("predicateType").GetString());
    }

    private static JsonElement StatementOf(byte[] bundle)
    {
        using var document = JsonDocument.Parse(bundle);
        using var statement = JsonDocument.Parse(Convert.FromBase64String(document.RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetString()!));
        return statement.RootElement.Clone();
    }

    private async Task SignAsync(string image, bool referrer, bool legacy)
    {
        var (status, body) = await PostAsync("v1/signatures", new JsonObject { ["push"] = new JsonObject { ["image"] = image, ["referrer"] = referrer, ["legacy"] = legacy } });
        Assert.True(status == 201, body.ToJsonString());
    }

    /// <summary>Policies that trust the managed key with Attest's trusted_root.json, the files an operator would
    /// download from /v1/keys and /v1/trusted-root; applied by the policy reloader.</summary>
    private async Task TrustAttestAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "attest.pub"), await ActivePublicKeyAsync());
        using (var root = await _server.SendAsync(HttpMethod.Get, "v1/trusted-root", _token))
        {
            root.EnsureSuccessStatusCode();
            await File.WriteAllBytesAsync(Path.Combine(_workspace.PolicyDirectory, "attest_trusted_root.json"), await root.Content.ReadAsByteArrayAsync());
        }
        var before = await PolicyRevisionAsync();
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "policies.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: attest-signed}
            spec:
              match: {images: ["{{registry.Host}}/signed/**"]}
              signatures:
                authorities: [{name: attest, trustedRoot: attest_trusted_root.json, transparencyLog: required, key: {file: attest.pub} }]
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: attest-attested}
            spec:
              match: {images: ["{{registry.Host}}/attested/**"]}
              authorities: [{name: attest, trustedRoot: attest_trusted_root.json, transparencyLog: required, key: {file: attest.pub} }]
              signatures: {authorities: [attest]}
              attestations:
                - name: tests
                  predicateType: {{TestResults}}
                  authorities: [attest]
                  conditions:
                    - {path: /result, equals: passed}
            """);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await PolicyRevisionAsync() == before)
        {
            Assert.True(DateTime.UtcNow < deadline, $"policies were not reloaded: {_server.StandardOutput}");
            await Task.Delay(100);
        }
    }

    private async Task<string> PolicyRevisionAsync()
    {
        using var document = JsonDocument.Parse(await _server.Client.GetStringAsync("readyz"));
        return document.RootElement.GetProperty("checks").GetProperty("policies").GetProperty("detail").GetString()!;
    }

    private async Task<string> ActivePublicKeyAsync()
    {
        using var response = await _server.SendAsync(HttpMethod.Get, "v1/keys", _token);
        response.EnsureSuccessStatusCode();
        using var keys = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return keys.RootElement.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("active").GetBoolean()).GetProperty("publicKey").GetString()!;
    }

    private async Task<(int Status, JsonNode Body)> PostAsync(string path, JsonObject request)
    {
        using var response = await _server.SendAsync(HttpMethod.Post, path, _token, JsonContent.Create(request));
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private async Task<string> GetFromRegistryAsync(string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(registry.BaseUri, path));
        request.Headers.Accept.ParseAdd(accept);
        using var response = await registry.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<byte[]> GetBytesFromRegistryAsync(string path) => await registry.Client.GetByteArrayAsync(new Uri(registry.BaseUri, path));

    private Task<JsonElement> ValidateAsync(string image) => AdmissionRequests.ValidateImageAsync(_server.Client, image);
}
