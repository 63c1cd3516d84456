using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Policy;
using Attest.Policy.Evaluation;
using Attest.Sigstore.Bundles;
using Attest.Testing;

namespace Attest.Server.Tests.Checks;

/// <summary>What a CI job and an admission policy do with an attestation the check endpoints issued: verify it with
/// <c>attest verify-bundle</c> against the server's published key and trusted root, and judge it with an ImagePolicy
/// that requires the check's predicate type with <c>/verdict equals passed</c> (in-process, as the webhook's
/// verify and judge stages do).</summary>
internal static class CheckAttestations
{
    public const string GoSumType = "https://attest.dev/attestations/gosum/v1";
    public const string SbomType = "https://attest.dev/attestations/sbom/v1";

    /// <summary>Writes the bundle, the active public key (GET /v1/keys) and trusted root (GET /v1/trusted-root) into
    /// <paramref name="directory"/>.</summary>
    public static async Task<(string Bundle, string Key, string TrustedRoot)> SaveAsync(CheckServerFixture fixture, JsonElement bundle, string directory)
    {
        using var keys = JsonDocument.Parse(await fixture.GetWithVerifyTokenAsync("v1/keys"));
        var active = keys.RootElement.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("active").GetBoolean());
        var paths = (Path.Combine(directory, "bundle.sigstore.json"), Path.Combine(directory, "attest.pub"), Path.Combine(directory, "trusted_root.json"));
        await File.WriteAllTextAsync(paths.Item1, bundle.GetRawText());
        await File.WriteAllTextAsync(paths.Item2, active.GetProperty("publicKey").GetString());
        await File.WriteAllTextAsync(paths.Item3, await fixture.GetWithVerifyTokenAsync("v1/trusted-root"));
        return paths;
    }

    public static Task<CliRunner.Result> VerifyBundleAsync(string directory, (string Bundle, string Key, string TrustedRoot) files, string digest) =>
        CliRunner.RunAsync(directory, "verify-bundle", "--bundle", files.Bundle, "--key", files.Key, "--trusted-root", files.TrustedRoot, digest);

    /// <summary>An artifact standing in for an image manifest, and its digest: the subject sigstore-js checks the
    /// statement against.</summary>
    public static (byte[] Bytes, string Digest) NewArtifact()
    {
        var bytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes(64);
        return (bytes, "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
    }

    /// <summary>sigstore-js's verdict (a peer implementation) on the bundle, given the same key and trusted root.</summary>
    public static async Task AssertSigstoreJsVerifiesAsync(string directory, (string Bundle, string Key, string TrustedRoot) files, byte[] artifact)
    {
        var path = Path.Combine(directory, "artifact");
        await File.WriteAllBytesAsync(path, artifact);
        var (exitCode, output) = await SigstoreJs.VerifyAsync(files.Bundle, files.TrustedRoot, files.Key, path);
        Assert.True(exitCode == 0, output);
        await File.WriteAllBytesAsync(path, [.. artifact, 0]);
        var (otherExit, _) = await SigstoreJs.VerifyAsync(files.Bundle, files.TrustedRoot, files.Key, path);
        Assert.NotEqual(0, otherExit);
    }

    /// <summary>Loads an ImagePolicy requiring <paramref name="predicateType"/> signed by the server's key (with the
    /// ledger as required transparency log) and whose <c>/verdict</c> equals <paramref name="verdict"/>, then judges
    /// the bundle as evidence for <paramref name="imageDigest"/>.</summary>
    public static PolicyOutcome Evaluate(string directory, string predicateType, string verdict, string bundlePath, Digest imageDigest)
    {
        File.WriteAllText(Path.Combine(directory, "policy.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: requires-check}
            spec:
              match: {images: ["registry.example.com/**"]}
              authorities:
                - name: attest
                  key: {file: attest.pub}
                  trustedRoot: trusted_root.json
                  transparencyLog: required
              attestations:
                - name: check
                  predicateType: {{predicateType}}
                  authorities: [attest]
                  conditions:
                    - {path: /verdict, equals: {{verdict}}}
            """);
        return Evaluate(directory, [bundlePath], imageDigest);
    }

    /// <summary>Judges the bundles as the evidence attached to <paramref name="imageDigest"/> with the single
    /// ImagePolicy of <paramref name="directory"/>, the way the admission evaluator does.</summary>
    public static PolicyOutcome Evaluate(string directory, IEnumerable<string> bundlePaths, Digest imageDigest)
    {
        var (set, errors) = PolicyDirectoryLoader.Load(directory);
        Assert.True(set is not null, string.Join("\n", errors));
        var policy = Assert.Single(set.ImagePolicies);

        // The verify and judge stages of the admission pipeline, on these bundles as the collected evidence.
        var collected = new CollectedEvidence(imageDigest, [.. bundlePaths.Select(p => new FoundBundle(p, File.ReadAllBytes(p)))], []);
        Assert.All(collected.Items.Cast<FoundBundle>(), b => Assert.True(b.Parsed.Bundle is not null, b.Parsed.Failure?.ToString()));
        var verified = new EvidenceVerifier(new AuthorityVerifier(TimeProvider.System)).Verify(policy, collected);
        return new PolicyJudge(TimeProvider.System).Judge(policy, verified);
    }

    /// <summary>The in-toto statement inside the bundle's DSSE envelope.</summary>
    public static JsonDocument Statement(JsonElement bundle) =>
        JsonDocument.Parse(Convert.FromBase64String(bundle.GetProperty("dsseEnvelope").GetProperty("payload").GetString()!));

    public static string Reasons(PolicyOutcome outcome) => string.Join("; ", outcome.Reasons.Select(r => r.ToString()));

    /// <summary>The ledger entries of one kind, as <c>attest ledger query</c> prints them (one JSON object per line).</summary>
    public static async Task<List<JsonDocument>> LedgerEntriesAsync(CheckServerFixture fixture, string kind)
    {
        var query = await CliRunner.RunAsync(fixture.WorkspacePath, "ledger", "query", "--db", fixture.LedgerDatabase, "--kind", kind);
        Assert.True(query.ExitCode == 0, query.StandardError);
        return query.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(Encoding.UTF8.GetBytes(l))).ToList();
    }
}
