using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Oci;
using Attest.Testing;

namespace Attest.Benchmarks;

/// <summary>
/// <c>webhook-fixture REGISTRY OUTDIR TRIVY_REPORT</c>: for bench/webhook/run.sh, pushes one image signed with a key (a
/// Sigstore bundle from an in-process Sigstore) with a signed SLSA provenance and a signed cosign vuln/v1 scan (the given
/// Trivy report) as referrers, and writes two policy directories for it: <c>policies-signed</c> (the signature only)
/// and <c>policies-gated</c> (the same signature plus a CEL condition on the provenance and a vulnerability gate), so
/// the cold line can be measured with and without them on the same image. Prints the image reference.
/// </summary>
internal static class WebhookFixture
{
    public static async Task<int> RunAsync(string registry, string outDirectory, string trivyReport)
    {
        using var sigstore = new TestSigstore();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = new RegistryClient(new RegistryClientOptions { InsecureRegistries = new HashSet<string> { registry } });
        const string repository = "bench/gated";

        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux"}""");
        var configDigest = await client.PushBlobAsync(registry, repository, config);
        var manifest = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}","config":{"mediaType":"{{OciMediaTypes.ImageConfig}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[]}""");
        var digest = await client.PushManifestAsync(registry, repository, "v1", manifest, OciMediaTypes.ImageManifest);
        var subject = new Descriptor(OciMediaTypes.ImageManifest, digest, manifest.Length);

        var provenance = new JsonObject { ["materials"] = new JsonArray(new JsonObject { ["uri"] = "git+https://github.com/example/app@refs/tags/v1" }) };
        var scan = new JsonObject
        {
            ["scanner"] = new JsonObject { ["uri"] = "pkg:github/aquasecurity/trivy", ["result"] = JsonNode.Parse(await File.ReadAllTextAsync(trivyReport)) },
            ["metadata"] = new JsonObject { ["scanFinishedOn"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) },
        };
        foreach (var bundle in new[]
                 {
                     sigstore.SignImage(digest, key),
                     sigstore.SignImageDsse(digest, "https://slsa.dev/provenance/v1", provenance.ToJsonString(), key),
                     sigstore.SignImageDsse(digest, "https://cosign.sigstore.dev/attestation/vuln/v1", scan.ToJsonString(), key),
                 })
        {
            var layer = await client.PushBlobAsync(registry, repository, bundle);
            await client.PushBlobAsync(registry, repository, ManifestWriter.EmptyJson);
            var referrer = ManifestWriter.Write(ManifestWriter.EmptyConfig, [new Descriptor(OciMediaTypes.SigstoreBundle, layer, bundle.Length)], subject, OciMediaTypes.SigstoreBundle);
            await client.PushReferrerAsync(registry, repository, referrer);
        }

        const string authority = "authorities: [{name: release, trustedRoot: trusted_root.json, key: {file: release.pub}}]";
        var signed = $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: bench}
            spec:
              match: {images: ["{{registry}}/**"]}
              {{authority}}
              signatures: {authorities: [release]}
            """;
        var gated = signed + """

              attestations:
                - name: provenance
                  predicateType: https://slsa.dev/provenance/v1
                  authorities: [release]
                  conditions:
                    - cel: 'predicate.materials.all(m, m.uri.startsWith("git+https://github.com/example/"))'
              vulnerabilities:
                authorities: [release]
                maxSeverity: medium
                maxScanAge: 168h
            """;
        foreach (var (name, policy) in new[] { ("policies-signed", signed), ("policies-gated", gated) })
        {
            var directory = Path.Combine(outDirectory, name);
            Directory.CreateDirectory(directory);
            sigstore.WriteTrustedRoot(Path.Combine(directory, "trusted_root.json"));
            await File.WriteAllTextAsync(Path.Combine(directory, "release.pub"), key.ExportSubjectPublicKeyInfoPem());
            await File.WriteAllTextAsync(Path.Combine(directory, "bench.yaml"), policy);
        }
        Console.WriteLine($"{registry}/{repository}@{digest}");
        return 0;
    }
}
