using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Testing;

namespace Attest.Server.Tests.Signing;

public sealed class SigningApiTests(SigningServerFixture fixture) : IClassFixture<SigningServerFixture>
{
    [Fact]
    public async Task A_signature_bundle_verifies_with_attest_and_with_sigstore_js_and_a_different_artifact_does_not()
    {
        var artifact = WriteArtifact("release.tar.gz", "release bytes " + Guid.NewGuid());
        var (status, body) = await fixture.PostAsync("v1/signatures", new { digest = Sha256Of(artifact), artifact = "release.tar.gz" });
        Assert.Equal(HttpStatusCode.Created, status);
        var bundle = WriteBundle(body);
        var tlog = body.GetProperty("bundle").GetProperty("verificationMaterial").GetProperty("tlogEntries")[0];
        Assert.Equal("hashedrekord", tlog.GetProperty("kindVersion").GetProperty("kind").GetString());
        Assert.Equal(body.GetProperty("logIndex").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), tlog.GetProperty("logIndex").GetString());

        await AssertVerifies(bundle, artifact);
        var other = WriteArtifact("other.tar.gz", "other bytes");
        await AssertRejected(bundle, other);
    }

    [Fact]
    public async Task An_attestation_bundle_carries_the_statement_and_verifies_with_both_verifiers()
    {
        var artifact = WriteArtifact("app.bin", "app " + Guid.NewGuid());
        var (status, body) = await fixture.PostAsync("v1/attestations", new
        {
            subject = new { name = "app.bin", digest = Sha256Of(artifact) },
            predicateType = "https://slsa.dev/provenance/v1",
            predicate = new { buildDefinition = new { buildType = "https://example.com/ci" } },
        });
        Assert.Equal(HttpStatusCode.Created, status);
        var envelope = body.GetProperty("bundle").GetProperty("dsseEnvelope");
        using var statement = JsonDocument.Parse(Convert.FromBase64String(envelope.GetProperty("payload").GetString()!));
        Assert.Equal("https://slsa.dev/provenance/v1", statement.RootElement.GetProperty("predicateType").GetString());
        Assert.Equal(Sha256Of(artifact)["sha256:".Length..], statement.RootElement.GetProperty("subject")[0].GetProperty("digest").GetProperty("sha256").GetString());

        var bundle = WriteBundle(body);
        await AssertVerifies(bundle, artifact);
        await AssertRejected(bundle, WriteArtifact("not-app.bin", "not the app"));
    }

    [Theory]
    [InlineData("checkpoint")]
    [InlineData("proof")]
    [InlineData("body")]
    public async Task A_bundle_whose_ledger_evidence_was_altered_fails_both_verifiers(string part)
    {
        var artifact = WriteArtifact($"tamper-{part}.bin", "tamper " + Guid.NewGuid());
        var (_, body) = await fixture.PostAsync("v1/signatures", new { digest = Sha256Of(artifact) });
        var bundle = JsonNode.Parse(body.GetProperty("bundle").GetRawText())!;
        var entry = bundle["verificationMaterial"]!["tlogEntries"]![0]!;
        switch (part)
        {
            case "checkpoint":
                // Change the signed size: the note signature no longer matches.
                var note = entry["inclusionProof"]!["checkpoint"]!["envelope"]!.GetValue<string>();
                var lines = note.Split('\n');
                lines[1] = (long.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                entry["inclusionProof"]!["checkpoint"]!["envelope"] = string.Join('\n', lines);
                break;
            case "proof":
                entry["inclusionProof"]!["hashes"]![0] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
                break;
            default:
                // The ledger's own members are part of the leaf: editing the recorded client breaks inclusion.
                var leaf = JsonNode.Parse(Convert.FromBase64String(entry["canonicalizedBody"]!.GetValue<string>()))!;
                leaf["client"] = "someone-else";
                entry["canonicalizedBody"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(leaf.ToJsonString()));
                break;
        }
        var path = fixture.Combine($"tampered-{part}.json");
        await File.WriteAllTextAsync(path, bundle.ToJsonString());
        await AssertRejected(path, artifact);
    }

    [Fact]
    public async Task Every_signature_is_a_ledger_entry_naming_the_client_and_digest_and_the_ledger_still_verifies()
    {
        var artifact = WriteArtifact("ledger.bin", "ledger " + Guid.NewGuid());
        var (_, body) = await fixture.PostAsync("v1/signatures", new { digest = Sha256Of(artifact), artifact = "ledger.bin" });
        var index = body.GetProperty("logIndex").GetInt64();

        var query = await CliRunner.RunAsync(fixture.Combine(), "ledger", "query", "--db", Path.Combine(fixture.DataDirectory, "ledger.db"), "--digest", Sha256Of(artifact));
        Assert.Equal(0, query.ExitCode);
        Assert.Contains("hashedrekord", query.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(index.ToString(System.Globalization.CultureInfo.InvariantCulture), query.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("attest-", query.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v1/signatures", """{"digest":"sha512:00"}""", "digest must be sha256")]
    [InlineData("v1/signatures", """{"digest":"sha256:zz"}""", "digest must be sha256")]
    [InlineData("v1/signatures", """{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","extra":1}""", "has an unknown field 'extra' at $ (allowed here: digest, artifact, push)")]
    [InlineData("v1/attestations", """{"subject":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"predicateType":"x","predicate":{}}""", "predicateType must be an absolute URI")]
    [InlineData("v1/attestations", """{"subject":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"predicateType":"https://e.com/p","predicate":[1]}""", "predicate must be a JSON object")]
    [InlineData("v1/attestations", """{"predicateType":"https://e.com/p","predicate":{}}""", "subject is missing")]
    [InlineData("v1/attestations", """{"subject":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"predicateType":"https://attest.dev/attestations/gosum/v1","predicate":{"verdict":"passed"}}""", "issued only by Attest's own checks")]
    public async Task Bad_signing_requests_are_refused_with_a_precise_problem(string path, string json, string message)
    {
        using var response = await fixture.Server.SendAsync(HttpMethod.Post, path, fixture.Token, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(" https://attest.dev/attestations/gosum/v1")]
    [InlineData("https://attest.dev:443/attestations/gosum/v1")]
    [InlineData("https://attest.dev//attestations/gosum/v1")]
    [InlineData("https://attest.dev/%61ttestations/gosum/v1")]
    [InlineData("https://attest.dev/%2561ttestations/gosum/v1")]
    [InlineData("HTTPS://ATTEST.DEV/Attestations/gosum/v1")]
    [InlineData("https://attest.dev./attestations/gosum/v1")]
    [InlineData("https://ci@attest.dev/attestations/sbom/v1")]
    [InlineData("https://attest.dev/x/../attestations/sbom/v1")]
    [InlineData("http://attest.dev:8080/attestations/sbom/v1")]
    public async Task Reserved_predicate_types_are_refused_in_every_spelling(string predicateType)
    {
        var json = JsonSerializer.Serialize(new
        {
            subject = new { digest = "sha256:" + new string('0', 64) },
            predicateType,
            predicate = new { verdict = "passed" },
        });
        using var response = await fixture.Server.SendAsync(HttpMethod.Post, "v1/attestations", fixture.Token, new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{predicateType}: {(int)response.StatusCode} {body}");
        Assert.Contains("issued only by Attest's own checks", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v1/signatures", $$"""{"digest":"sha256:{{Zeros}}","digest":"sha256:{{Ones}}"}""")]
    [InlineData("v1/attestations", $$$"""{"subject":{"digest":"sha256:{{{Zeros}}}","digest":"sha256:{{{Ones}}}"},"predicateType":"https://e.com/p","predicate":{}}""")]
    [InlineData("v1/attestations", $$$"""{"subject":{"digest":"sha256:{{{Zeros}}}"},"predicateType":"https://e.com/p","predicate":{"result":"fail","result":"pass"}}""")]
    public async Task Signing_request_with_a_duplicate_key_is_refused(string path, string json)
    {
        using var response = await fixture.Server.SendAsync(HttpMethod.Post, path, fixture.Token, new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {body}");
        Assert.Contains("duplicate", body, StringComparison.OrdinalIgnoreCase);
    }

    private const string Zeros = "0000000000000000000000000000000000000000000000000000000000000000";
    private const string Ones = "1111111111111111111111111111111111111111111111111111111111111111";

    private async Task AssertVerifies(string bundle, string artifact)
    {
        var attest = await CliRunner.RunAsync(fixture.Combine(), "verify-bundle", "--bundle", bundle, "--key", fixture.PublicKeyFile, "--trusted-root", fixture.TrustedRootFile, artifact);
        Assert.True(attest.ExitCode == 0, attest.StandardError + attest.StandardOutput);
        var (exit, output) = await SigstoreJs.VerifyAsync(bundle, fixture.TrustedRootFile, fixture.PublicKeyFile, artifact);
        Assert.True(exit == 0, output);
    }

    private async Task AssertRejected(string bundle, string artifact)
    {
        var attest = await CliRunner.RunAsync(fixture.Combine(), "verify-bundle", "--bundle", bundle, "--key", fixture.PublicKeyFile, "--trusted-root", fixture.TrustedRootFile, artifact);
        Assert.NotEqual(0, attest.ExitCode);
        var (exit, output) = await SigstoreJs.VerifyAsync(bundle, fixture.TrustedRootFile, fixture.PublicKeyFile, artifact);
        Assert.True(exit == 1 && output.StartsWith("FAIL", StringComparison.Ordinal), output);
    }

    private string WriteArtifact(string name, string content)
    {
        var path = fixture.Combine(name);
        File.WriteAllText(path, content);
        return path;
    }

    private string WriteBundle(JsonElement response)
    {
        var path = fixture.Combine($"bundle-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, response.GetProperty("bundle").GetRawText());
        return path;
    }

    private static string Sha256Of(string path) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
