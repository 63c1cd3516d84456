using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Admission;

/// <summary>CEL conditions and the vulnerability gate through the webhook: real Trivy scans in signed cosign vuln/v1
/// attestations and provenance checked by a CEL expression, in the real registry.</summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class GateAdmissionTests(RegistryFixture registry) : IAsyncLifetime
{
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private readonly TestSigstore _sigstore = new();
    private readonly ECDsa _releaseKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private TestImageRegistry _images = null!;
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        _images = new TestImageRegistry(registry.Host);
        Directory.CreateDirectory(_workspace.PolicyDirectory);
        _sigstore.WriteTrustedRoot(Path.Combine(_workspace.PolicyDirectory, "trusted_root.json"));
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "release.pub"), _releaseKey.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "policies.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: gated}
            spec:
              match: {images: ["{{registry.Host}}/gated/**"]}
              authorities: [{name: release-key, trustedRoot: trusted_root.json, key: {file: release.pub} }]
              signatures: {authorities: [release-key]}
              attestations:
                - name: provenance
                  predicateType: https://slsa.dev/provenance/v1
                  authorities: [release-key]
                  conditions:
                    - cel: 'predicate.materials.all(m, m.uri.startsWith("git+https://github.com/example/"))'
              vulnerabilities:
                authorities: [release-key]
                maxSeverity: medium
                maxScanAge: 168h
            ---
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: costly}
            spec:
              match: {images: ["{{registry.Host}}/costly/**"]}
              authorities: [{name: release-key, trustedRoot: trusted_root.json, key: {file: release.pub} }]
              attestations:
                - name: provenance
                  predicateType: https://slsa.dev/provenance/v1
                  authorities: [release-key]
                  conditions:
                    - cel: 'predicate.materials.all(a, predicate.materials.all(b, predicate.materials.all(c, predicate.materials.all(d, a.uri + b.uri + c.uri + d.uri != ""))))'
            """);
        _server = await _workspace.StartWebhookAsync($"--Attest:Registries:Insecure:0={registry.Host}", "--Attest:Admission:VerdictCacheSeconds=0");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _images.Dispose();
        _sigstore.Dispose();
        _releaseKey.Dispose();
        _workspace.Dispose();
    }

    private Task<JsonElement> ValidateAsync(string image) => AdmissionRequests.ValidateImageAsync(_server.Client, image);

    private static string Denied(JsonElement response) => AdmissionRequests.DeniedMessage(response);

    private static string Provenance(params string[] materials) =>
        new JsonObject { ["materials"] = new JsonArray(materials.Select(m => (JsonNode)new JsonObject { ["uri"] = m }).ToArray()) }.ToJsonString();

    /// <summary>A cosign vuln/v1 predicate around one of the real Trivy reports, scanned at <paramref name="finishedOn"/>.</summary>
    private static string Scan(string report, DateTimeOffset finishedOn) => new JsonObject
    {
        ["invocation"] = new JsonObject { ["uri"] = "" },
        ["scanner"] = new JsonObject
        {
            ["uri"] = "pkg:github/aquasecurity/trivy@v0.50.0",
            ["result"] = JsonNode.Parse(File.ReadAllText(RepositoryPaths.Vectors("vulnerabilities", report))),
        },
        ["metadata"] = new JsonObject { ["scanFinishedOn"] = finishedOn.ToString("O", CultureInfo.InvariantCulture) },
    }.ToJsonString();

    private async Task<Digest> SignedImageAsync(string repository, string? provenance, string? scan)
    {
        var digest = await _images.PushImageAsync(repository, "v1");
        await _images.AttachBundleAsync(repository, digest, _sigstore.SignImage(digest, _releaseKey));
        if (provenance is not null) await _images.AttachBundleAsync(repository, digest, _sigstore.SignImageDsse(digest, "https://slsa.dev/provenance/v1", provenance, _releaseKey));
        if (scan is not null) await _images.AttachBundleAsync(repository, digest, _sigstore.SignImageDsse(digest, "https://cosign.sigstore.dev/attestation/vuln/v1", scan, _releaseKey));
        return digest;
    }

    [Fact]
    public async Task Image_with_matching_provenance_and_a_fresh_medium_only_scan_is_admitted()
    {
        var digest = await SignedImageAsync("gated/good", Provenance("git+https://github.com/example/app@refs/tags/v1"), Scan("trivy-alpine-310.json", DateTimeOffset.UtcNow.AddHours(-2)));
        var response = await ValidateAsync($"{registry.Host}/gated/good@{digest}");
        Assert.True(response.GetProperty("allowed").GetBoolean(), response.ToString());
    }

    [Fact]
    public async Task Cel_condition_denies_provenance_from_another_organization()
    {
        var digest = await SignedImageAsync("gated/foreign", Provenance("git+https://github.com/example/app", "git+https://github.com/attacker/lib"), Scan("trivy-alpine-310.json", DateTimeOffset.UtcNow));
        var message = Denied(await ValidateAsync($"{registry.Host}/gated/foreign@{digest}"));
        Assert.Contains("cel 'predicate.materials.all(", message, StringComparison.Ordinal);
        Assert.Contains("[attestation.condition-failed]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_with_critical_findings_is_denied_naming_them()
    {
        var digest = await SignedImageAsync("gated/critical", Provenance("git+https://github.com/example/app"), Scan("ratify-trivy-scan-report.sarif.json", DateTimeOffset.UtcNow));
        var message = Denied(await ValidateAsync($"{registry.Host}/gated/critical@{digest}"));
        Assert.Contains("[vulnerability.severity]", message, StringComparison.Ordinal);
        Assert.Contains("CVE-2021-36159 (critical)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stale_or_missing_scan_is_denied()
    {
        var stale = await SignedImageAsync("gated/stale", Provenance("git+https://github.com/example/app"), Scan("trivy-alpine-310.json", DateTimeOffset.UtcNow.AddDays(-10)));
        Assert.Contains("[vulnerability.scan-stale]", Denied(await ValidateAsync($"{registry.Host}/gated/stale@{stale}")), StringComparison.Ordinal);

        var missing = await SignedImageAsync("gated/unscanned", Provenance("git+https://github.com/example/app"), null);
        Assert.Contains("[vulnerability.scan-missing]", Denied(await ValidateAsync($"{registry.Host}/gated/unscanned@{missing}")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expensive_cel_condition_is_stopped_by_its_cost_limit_and_denied()
    {
        var materials = Enumerable.Range(0, 40).Select(i => $"git+https://github.com/example/m{i}").ToArray(); // 40^4 = 2.56 million iterations
        var digest = await _images.PushImageAsync("costly/app", "v1");
        await _images.AttachBundleAsync("costly/app", digest, _sigstore.SignImageDsse(digest, "https://slsa.dev/provenance/v1", Provenance(materials), _releaseKey));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var message = Denied(await ValidateAsync($"{registry.Host}/costly/app@{digest}"));
        Assert.Contains("[attestation.cel-cost]", message, StringComparison.Ordinal);
        Assert.Contains("the limit is 1000000", message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }
}

/// <summary>A PolicyException through the webhook: it admits exactly what it names, with a warning and an audit
/// annotation, until it expires; the ledger records the waived decision with the exception, approver and reason.</summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class PolicyExceptionAdmissionTests(RegistryFixture registry)
{
    [Fact]
    public async Task Exception_admits_exactly_what_it_names_until_it_expires_and_the_ledger_shows_it()
    {
        using var workspace = new ServerWorkspace(withPolicies: false);
        using var images = new TestImageRegistry(registry.Host);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(workspace.PolicyDirectory);
        await File.WriteAllTextAsync(Path.Combine(workspace.PolicyDirectory, "k.pub"), key.ExportSubjectPublicKeyInfoPem());
        var expires = DateTimeOffset.UtcNow.AddSeconds(40);
        await File.WriteAllTextAsync(Path.Combine(workspace.PolicyDirectory, "p.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: waivable}
            spec:
              match: {images: ["{{registry.Host}}/waived/**"]}
              signatures: {authorities: [{name: k, key: {file: k.pub} }]}
            ---
            apiVersion: attest.dev/v1
            kind: PolicyException
            metadata: {name: incident-4711}
            spec:
              images: ["{{registry.Host}}/waived/app"]
              namespaces: [test-connaisseur]
              policies: [waivable]
              reasons: [signature.none]
              expires: {{expires.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}}
              reason: hotfix 4711 is built while the signing service is down
              approver: alice@example.com
            """);
        var named = await images.PushImageAsync("waived/app", "v1");
        var other = await images.PushImageAsync("waived/other", "v1");

        await using (var server = await workspace.Start($"--Attest:Registries:Insecure:0={registry.Host}", "--Attest:Admission:VerdictCacheSeconds=0").WaitUntilListeningAsync())
        {
            Task<JsonElement> Validate(string image, string @namespace = "test-connaisseur") => AdmissionRequests.ValidateImageAsync(server.Client, image, @namespace);

            var waived = await Validate($"{registry.Host}/waived/app@{named}");
            Assert.True(waived.GetProperty("allowed").GetBoolean(), waived.ToString());
            var warning = Assert.Single(waived.GetProperty("warnings").EnumerateArray()).GetString()!;
            Assert.Contains("waived by exception 'incident-4711' (approved by alice@example.com", warning, StringComparison.Ordinal);
            Assert.Contains("[signature.none]", warning, StringComparison.Ordinal);
            Assert.Contains("incident-4711", waived.GetProperty("auditAnnotations").GetProperty("attest.dev/exception-waivable").GetString(), StringComparison.Ordinal);

            // Not named: another image, another namespace.
            Assert.False((await Validate($"{registry.Host}/waived/other@{other}")).GetProperty("allowed").GetBoolean());
            Assert.False((await Validate($"{registry.Host}/waived/app@{named}", "default")).GetProperty("allowed").GetBoolean());

            // After the expiry the same request is denied.
            var wait = expires - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var expired = await Validate($"{registry.Host}/waived/app@{named}");
            Assert.False(expired.GetProperty("allowed").GetBoolean());
            Assert.Contains("[signature.none]", expired.GetProperty("status").GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        var query = await CliRunner.RunAsync(workspace.Path, "ledger", "query", "--db", Path.Combine(workspace.DataDirectory, "ledger.db"), "--verdict", "waived");
        Assert.Equal(0, query.ExitCode);
        var line = Assert.Single(query.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(named.ToString(), line, StringComparison.Ordinal);
        Assert.Contains("\"exception\":\"incident-4711\"", line, StringComparison.Ordinal);
        Assert.Contains("\"approver\":\"alice@example.com\"", line, StringComparison.Ordinal);
    }
}
