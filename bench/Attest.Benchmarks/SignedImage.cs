using System.Text;
using Attest.Core;
using Attest.Oci;
using Attest.Sigstore.Signing;
using Attest.Testing;

namespace Attest.Benchmarks;

/// <summary>
/// <c>signed-image REGISTRY REPOSITORY DIRECTORY</c>: the cold signed-image case of bench/webhook/run.sh. Pushes a new
/// image to a registry (plain HTTP) with two OCI 1.1 referrers, a keyless Sigstore signature and a keyless CycloneDX
/// SBOM attestation, both from an in-process Sigstore (log, Fulcio-style CA, CT log); writes that Sigstore's
/// trusted_root.json and a policy requiring both into DIRECTORY; prints the image digest.
/// </summary>
internal static class SignedImage
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Identity = "https://github.com/example/app/.github/workflows/release.yml@refs/tags/v1.0.0";
    private const string CycloneDx = "https://cyclonedx.org/bom";

    public static async Task<int> RunAsync(string registry, string repository, string directory)
    {
        using var sigstore = new TestSigstore();
        using var client = new RegistryClient(new RegistryClientOptions { InsecureRegistries = new HashSet<string> { registry } });
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","created":"{{DateTimeOffset.UtcNow:O}}"}""");
        var configDigest = await client.PushBlobAsync(registry, repository, config);
        var image = ManifestWriter.Write(new Descriptor(OciMediaTypes.ImageConfig, configDigest, config.Length), []);
        var digest = await client.PushManifestAsync(registry, repository, "signed", image, OciMediaTypes.ImageManifest);

        var bom = """{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0","licenses":[{"license":{"id":"MIT"}}]}]}""";
        await AttachAsync(client, registry, repository, digest, image.Length, sigstore.SignImageKeyless(digest, Identity, Issuer), StatementWriter.CosignSignPredicateType);
        await AttachAsync(client, registry, repository, digest, image.Length, sigstore.AttestImageKeyless(digest, CycloneDx, bom, Identity, Issuer), CycloneDx);

        Directory.CreateDirectory(directory);
        sigstore.WriteTrustedRoot(Path.Combine(directory, "trusted_root.json"));
        await File.WriteAllTextAsync(Path.Combine(directory, "signed.yaml"), $$"""
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
            """);
        Console.WriteLine(digest);
        return 0;
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
