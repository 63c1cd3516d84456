using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Testing;

namespace Attest.Server.Tests.Keyless;

/// <summary>
/// A real Sigstore client (sigstore-js, the npm <c>sigstore</c> package) signs through Attest as Fulcio, Rekor and TSA
/// with an identity token of a test OIDC issuer; sigstore-js and <c>attest verify-bundle</c> then verify the bundles
/// against Attest's trusted root, and refuse them once the certificate, its SCT, the log entry or the timestamp is altered.
/// </summary>
public sealed class SigstoreJsKeylessTests(KeylessServerFixture fixture) : IClassFixture<KeylessServerFixture>
{
    private static readonly string Identity = TestOidcIssuer.GitHubIdentity();

    [Fact]
    public async Task Sigstore_js_signs_a_blob_through_Attest_and_both_verifiers_accept_it()
    {
        var (bundle, artifact) = await SignBlobAsync();
        await AssertVerifiesAsync(bundle, artifact);
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(bundle));
        var material = document.RootElement.GetProperty("verificationMaterial");
        Assert.Equal("hashedrekord", material.GetProperty("tlogEntries")[0].GetProperty("kindVersion").GetProperty("kind").GetString());
        Assert.Single(material.GetProperty("timestampVerificationData").GetProperty("rfc3161Timestamps").EnumerateArray());
    }

    [Theory]
    [InlineData(false, "dsse")]
    [InlineData(true, "intoto")]
    public async Task Sigstore_js_signs_an_in_toto_attestation_through_Attest_and_both_verifiers_accept_it(bool legacy, string kind)
    {
        var (statement, artifact) = await WriteStatementAsync();
        var bundle = statement + ".sigstore.json";
        var (code, output) = await SigstoreJs.SignAsync(fixture.Server.BaseUri, fixture.TokenFile(fixture.GitHub.Token(fixture.GitHub.GitHubClaims())), statement, bundle, dsse: true, legacy: legacy);
        Assert.True(code == 0, output);
        using (var document = JsonDocument.Parse(await File.ReadAllTextAsync(bundle)))
            Assert.Equal(kind, document.RootElement.GetProperty("verificationMaterial").GetProperty("tlogEntries")[0].GetProperty("kindVersion").GetProperty("kind").GetString());
        await AssertVerifiesAsync(bundle, artifact);
    }

    [Theory]
    [InlineData(false, "hashedrekord")]
    [InlineData(true, "dsse")]
    public async Task Sigstore_js_logs_through_Rekor_v2_and_both_verifiers_accept_the_bundle_and_refuse_it_altered(bool dsse, string kind)
    {
        string signed, artifact;
        if (dsse) (signed, artifact) = await WriteStatementAsync();
        else
        {
            signed = artifact = fixture.Combine($"blob-{Guid.NewGuid():N}.txt");
            await File.WriteAllTextAsync(artifact, "artifact " + Guid.NewGuid());
        }
        var bundle = signed + ".v2.sigstore.json";
        var (code, output) = await SigstoreJs.SignAsync(fixture.Server.BaseUri, fixture.TokenFile(fixture.GitHub.Token(fixture.GitHub.GitHubClaims())), signed, bundle,
            dsse: dsse, rekorV2: true);
        Assert.True(code == 0, output);
        var json = JsonNode.Parse(await File.ReadAllTextAsync(bundle))!;
        var entry = json["verificationMaterial"]!["tlogEntries"]![0]!;
        Assert.Equal(kind, entry["kindVersion"]!["kind"]!.GetValue<string>());
        Assert.Equal("0.0.2", entry["kindVersion"]!["version"]!.GetValue<string>());
        Assert.Null(entry["inclusionPromise"]); // no SET: the TSA's timestamp is the signing time
        await AssertVerifiesAsync(bundle, artifact);

        var body = JsonNode.Parse(Convert.FromBase64String(entry["canonicalizedBody"]!.GetValue<string>()))!;
        var otherDigest = Convert.ToBase64String(new byte[32]);
        if (dsse) body["spec"]!["dsseV002"]!["payloadHash"]!["digest"] = otherDigest;
        else body["spec"]!["hashedRekordV002"]!["data"]!["digest"] = otherDigest;
        entry["canonicalizedBody"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
        await AssertRefusedAsync(json, bundle + ".altered.json", artifact, "a Rekor v2 bundle with an altered log entry");
    }

    [Theory]
    [InlineData("certificate")]
    [InlineData("sct")]
    [InlineData("log-entry-body")]
    [InlineData("inclusion-proof")]
    [InlineData("signed-entry-timestamp")]
    [InlineData("timestamp")]
    public async Task Verify_rejects_a_sigstore_js_bundle_whose_evidence_was_altered(string part)
    {
        var (bundle, artifact) = await SignBlobAsync();
        var json = JsonNode.Parse(await File.ReadAllTextAsync(bundle))!;
        var material = json["verificationMaterial"]!;
        var entry = material["tlogEntries"]![0]!;
        // sigstore-js writes message signatures as bundle v0.2 (the leaf in x509CertificateChain), DSSE as v0.3 (certificate).
        var leaf = material["certificate"] ?? material["x509CertificateChain"]!["certificates"]![0]!;
        switch (part)
        {
            case "certificate":
                leaf["rawBytes"] = Flip(leaf["rawBytes"]!.GetValue<string>(), at: -10);
                break;
            case "sct":
                var der = Convert.FromBase64String(leaf["rawBytes"]!.GetValue<string>());
                var sct = IndexOf(der, [0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02]); // OID 1.3.6.1.4.1.11129.2.4.2
                Assert.True(sct > 0);
                der[sct + 60] ^= 0x01; // inside the SCT's signature or timestamp
                leaf["rawBytes"] = Convert.ToBase64String(der);
                break;
            case "log-entry-body":
                var body = JsonNode.Parse(Convert.FromBase64String(entry["canonicalizedBody"]!.GetValue<string>()))!;
                body["spec"]!["data"]!["hash"]!["value"] = new string('0', 64);
                entry["canonicalizedBody"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
                break;
            case "inclusion-proof":
                // The first hash of the audit path (the ledger holds many entries, so the path is not empty).
                var hashes = entry["inclusionProof"]!["hashes"]!.AsArray();
                Assert.NotEmpty(hashes);
                hashes[0] = Flip(hashes[0]!.GetValue<string>(), at: 3);
                break;
            case "signed-entry-timestamp":
                entry["inclusionPromise"]!["signedEntryTimestamp"] = Flip(entry["inclusionPromise"]!["signedEntryTimestamp"]!.GetValue<string>(), at: -6);
                break;
            default:
                var timestamp = material["timestampVerificationData"]!["rfc3161Timestamps"]![0]!;
                timestamp["signedTimestamp"] = Flip(timestamp["signedTimestamp"]!.GetValue<string>(), at: -8);
                break;
        }
        await AssertRefusedAsync(json, bundle + $".{part}.json", artifact, $"a bundle with an altered {part}");
    }

    [Fact]
    public async Task Verify_rejects_a_keyless_bundle_for_another_identity_or_issuer()
    {
        var (bundle, artifact) = await SignBlobAsync();
        var (code, output) = await SigstoreJs.VerifyKeylessAsync(bundle, fixture.TrustedRootFile, TestOidcIssuer.GitHubIdentity("acme/other"), KeylessServerFixture.GitHubIssuer, artifact);
        Assert.True(code == 1, output);
        var attest = await CliRunner.RunAsync(fixture.Combine(), "verify-bundle", "--bundle", bundle, "--certificate-identity", Identity,
            "--certificate-oidc-issuer", KeylessServerFixture.EmailIssuer, "--trusted-root", fixture.TrustedRootFile, artifact);
        Assert.Equal(1, attest.ExitCode);
        Assert.Contains("issuer", attest.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>An in-toto statement about a fresh artifact file: (the statement's path, the artifact's path).</summary>
    private async Task<(string Statement, string Artifact)> WriteStatementAsync()
    {
        var artifact = fixture.Combine($"app-{Guid.NewGuid():N}.tar.gz");
        await File.WriteAllTextAsync(artifact, "release artifact " + Guid.NewGuid());
        var statement = fixture.Combine($"statement-{Guid.NewGuid():N}.json");
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(artifact)));
        var statementJson = new JsonObject
        {
            ["_type"] = "https://in-toto.io/Statement/v1",
            ["subject"] = new JsonArray(new JsonObject { ["name"] = "app.tar.gz", ["digest"] = new JsonObject { ["sha256"] = digest } }),
            ["predicateType"] = "https://slsa.dev/provenance/v1",
            ["predicate"] = new JsonObject { ["buildDefinition"] = new JsonObject { ["buildType"] = "https://attest.test/build" } },
        };
        await File.WriteAllTextAsync(statement, statementJson.ToJsonString());
        return (statement, artifact);
    }

    private async Task<(string Bundle, string Artifact)> SignBlobAsync()
    {
        var artifact = fixture.Combine($"blob-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(artifact, "artifact " + Guid.NewGuid());
        var bundle = artifact + ".sigstore.json";
        var (code, output) = await SigstoreJs.SignAsync(fixture.Server.BaseUri, fixture.TokenFile(fixture.GitHub.Token(fixture.GitHub.GitHubClaims())), artifact, bundle);
        Assert.True(code == 0, output);
        return (bundle, artifact);
    }

    /// <summary>Writes <paramref name="bundle"/> to <paramref name="path"/> and asserts that sigstore-js and attest verify-bundle both refuse it.</summary>
    private async Task AssertRefusedAsync(JsonNode bundle, string path, string artifact, string what)
    {
        await File.WriteAllTextAsync(path, bundle.ToJsonString());
        var (jsCode, jsOutput) = await SigstoreJs.VerifyKeylessAsync(path, fixture.TrustedRootFile, Identity, KeylessServerFixture.GitHubIssuer, artifact);
        Assert.True(jsCode == 1, $"sigstore-js accepted {what}: {jsOutput}");
        var attest = await CliRunner.RunAsync(fixture.Combine(), "verify-bundle", "--bundle", path, "--certificate-identity", Identity,
            "--certificate-oidc-issuer", KeylessServerFixture.GitHubIssuer, "--trusted-root", fixture.TrustedRootFile, artifact);
        Assert.True(attest.ExitCode == 1, $"attest verify-bundle accepted {what}: {attest.StandardOutput}{attest.StandardError}");
    }

    private async Task AssertVerifiesAsync(string bundle, string artifact)
    {
        var (code, output) = await SigstoreJs.VerifyKeylessAsync(bundle, fixture.TrustedRootFile, Identity, KeylessServerFixture.GitHubIssuer, artifact);
        Assert.True(code == 0, $"sigstore-js: {output}");
        var attest = await CliRunner.RunAsync(fixture.Combine(), "verify-bundle", "--bundle", bundle, "--certificate-identity", Identity,
            "--certificate-oidc-issuer", KeylessServerFixture.GitHubIssuer, "--trusted-root", fixture.TrustedRootFile, artifact);
        Assert.True(attest.ExitCode == 0, $"attest verify-bundle: {attest.StandardOutput}{attest.StandardError}");
    }

    private static string Flip(string base64, int at)
    {
        var bytes = Convert.FromBase64String(base64);
        bytes[at < 0 ? bytes.Length + at : at] ^= 0x01;
        return Convert.ToBase64String(bytes);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
