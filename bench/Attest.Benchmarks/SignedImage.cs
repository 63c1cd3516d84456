using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Oci;
using Attest.Sigstore.Signing;
using Attest.Testing;

namespace Attest.Benchmarks;

/// <summary>
/// <c>signed-image REGISTRY REPOSITORY DIRECTORY [TRIVY_REPORT]</c>: the cold signed-image cases of bench/webhook/run.sh.
/// Pushes a new image to a registry (plain HTTP) with OCI 1.1 referrers from an in-process Sigstore (log, Fulcio-style
/// CA, CT log): a keyless Sigstore signature and a keyless CycloneDX SBOM attestation; writes that Sigstore's
/// trusted_root.json and a policy requiring both into DIRECTORY; prints the image digest.
/// <para>With TRIVY_REPORT the image also carries a keyless SLSA provenance and a keyless cosign vuln/v1 scan (that
/// Trivy report), and a second directory, DIRECTORY-gated, holds the same policy plus a CEL condition on the provenance
/// and a vulnerability gate: the same image and evidence judged with and without the gates.</para>
/// </summary>
internal static class SignedImage
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Identity = "https://github.com/example/app/.github/workflows/release.yml@refs/tags/v1.0.0";
    private const string CycloneDx = "https://cyclonedx.org/bom";
    private const string Provenance = "https://slsa.dev/provenance/v1";
    private const string Vulnerabilities = "https://cosign.sigstore.dev/attestation/vuln/v1";

    public static async Task<int> RunAsync(string registry, string repository, string directory, string? trivyReport = null)
    {
        using var sigstore = new TestSigstore();
        using var client = new RegistryClient(new RegistryClientOptions { InsecureRegistries = new HashSet<string> { registry } });
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","created":"{{DateTimeOffset.UtcNow:O}}"}""");
        var configDigest = await client.PushBlobAsync(registry, repository, config);
        var image = ManifestWriter.Write(new Descriptor(OciMediaTypes.ImageConfig, configDigest, config.Length), []);
        var digest = await client.PushManifestAsync(registry, repository, "signed", image, OciMediaTypes.ImageManifest);

        Task Attach(byte[] bundle, string predicateType) => AttachAsync(client, registry, repository, digest, image.Length, bundle, predicateType);
        var bom = """{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0","licenses":[{"license":{"id":"MIT"}}]}]}""";
        await Attach(sigstore.SignImageKeyless(digest, Identity, Issuer), StatementWriter.CosignSignPredicateType);
        await Attach(sigstore.AttestImageKeyless(digest, CycloneDx, bom, Identity, Issuer), CycloneDx);

        var policy = $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: signed}
            spec:
              match: {images: ["{{registry}}/{{repository}}"]}
              authorities:
                - name: ci
                  trustedRoot: trusted_root.json
                  keyless: {identities: [{issuer: "{{Issuer}}", subject: "{{Identity}}"}]}
              signatures: {authorities: [ci]}
              attestations:
                - name: sbom
                  predicateType: {{CycloneDx}}
                  authorities: [ci]
                  sbom: {deniedLicenses: [GPL-3.0-only]}
            """;
        WritePolicy(sigstore, directory, policy);

        if (trivyReport is not null)
        {
            var provenance = new JsonObject { ["materials"] = new JsonArray(new JsonObject { ["uri"] = "git+https://github.com/example/app@refs/tags/v1" }) };
            var scan = new JsonObject
            {
                ["scanner"] = new JsonObject { ["uri"] = "pkg:github/aquasecurity/trivy", ["result"] = JsonNode.Parse(await File.ReadAllTextAsync(trivyReport)) },
                ["metadata"] = new JsonObject { ["scanFinishedOn"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) },
            };
            await Attach(sigstore.AttestImageKeyless(digest, Provenance, provenance.ToJsonString(), Identity, Issuer), Provenance);
            await Attach(sigstore.AttestImageKeyless(digest, Vulnerabilities, scan.ToJsonString(), Identity, Issuer), Vulnerabilities);
            // The gated policy is the signed one with the gates appended to its attestations and spec.
            WritePolicy(sigstore, directory + "-gated", policy + $$"""

                    - name: provenance
                      predicateType: {{Provenance}}
                      authorities: [ci]
                      conditions:
                        - cel: 'predicate.materials.all(m, m.uri.startsWith("git+https://github.com/example/"))'
                  vulnerabilities:
                    authorities: [ci]
                    maxSeverity: medium
                    maxScanAge: 168h
                """);
        }
        Console.WriteLine(digest);
        return 0;
    }

    private static void WritePolicy(TestSigstore sigstore, string directory, string policy)
    {
        Directory.CreateDirectory(directory);
        sigstore.WriteTrustedRoot(Path.Combine(directory, "trusted_root.json"));
        File.WriteAllText(Path.Combine(directory, "signed.yaml"), policy);
    }

    /// <summary>As cosign attaches a bundle: an artifact manifest whose one layer is the bundle, annotated with its predicate type.</summary>
    private static async Task AttachAsync(RegistryClient client, string registry, string repository, Digest subject, int subjectSize, byte[] bundle, string predicateType)
    {
        await client.PushBlobAsync(registry, repository, ManifestWriter.EmptyJson);
        var layer = await client.PushBlobAsync(registry, repository, bundle);
        var manifest = ManifestWriter.Write(ManifestWriter.EmptyConfig, [new Descriptor(OciMediaTypes.SigstoreBundle, layer, bundle.Length)],
            new Descriptor(OciMediaTypes.ImageManifest, subject, subjectSize), OciMediaTypes.SigstoreBundle,
            new Dictionary<string, string> { ["dev.sigstore.bundle.content"] = "dsse-envelope", ["dev.sigstore.bundle.predicateType"] = predicateType });
        await client.PushReferrerAsync(registry, repository, manifest);
    }
}
