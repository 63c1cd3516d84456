using System.Security.Cryptography;
using Attest.Core;
using Attest.Server.Tests.Admission;
using Attest.Testing;

namespace Attest.Server.Tests.Telemetry;

/// <summary>The policies the observability tests run: images under <c>REGISTRY/PREFIX/</c> need a signature by the
/// release key (under the test Sigstore's trusted root), and an SBOM policy for the check endpoints; and signed images.</summary>
internal static class ObservedPolicies
{
    public const string Authority = "release-key";

    public static async Task WriteAsync(string directory, TestSigstore sigstore, ECDsa releaseKey, string registryHost, string prefix, string policyName)
    {
        Directory.CreateDirectory(directory);
        sigstore.WriteTrustedRoot(Path.Combine(directory, "trusted_root.json"));
        await File.WriteAllTextAsync(Path.Combine(directory, "release.pub"), releaseKey.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(directory, "policies.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: {{policyName}}}
            spec:
              match: {images: ["{{registryHost}}/{{prefix}}/**"]}
              signatures: {authorities: [{name: {{Authority}}, trustedRoot: trusted_root.json, key: {file: release.pub} }]}
            ---
            apiVersion: attest.dev/v1
            kind: SbomPolicy
            metadata: {name: ntia}
            spec: {ntiaMinimumElements: true}
            """);
    }

    /// <summary>A new image in <paramref name="repository"/> with a Sigstore bundle by <paramref name="key"/> attached.</summary>
    public static async Task<Digest> PushSignedAsync(TestImageRegistry images, string repository, TestSigstore sigstore, ECDsa key)
    {
        var digest = await images.PushImageAsync(repository, Guid.NewGuid().ToString("N"));
        await images.AttachBundleAsync(repository, digest, sigstore.SignImage(digest, key));
        return digest;
    }
}
