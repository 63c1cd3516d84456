using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Server.Tests.Admission;
using Attest.Server.Tests.Hosting;
using Attest.Testing;
using static Attest.Server.Tests.Admission.AdmissionRequests;

namespace Attest.Server.Tests.Keyless;

/// <summary>
/// <c>attest sign</c>, <c>attest attest</c> and <c>attest verify</c> as a CI job runs them, against the real server
/// (webhook over HTTPS, keyless issuers from a test OIDC issuer's JWKS file) and the real registry: images signed
/// keyless and pushed in cosign's referrer layout are admitted by a policy naming the workflow identity and its
/// repository claim, and denied for another identity or repository; <c>attest verify</c> agrees with the webhook.
/// </summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class CliSigningTests(RegistryFixture registry) : IAsyncLifetime
{
    private const string Issuer = "https://ci.attest.test";
    private const string TestResults = "https://attest.dev/test-results/v1";
    private static readonly string Release = TestOidcIssuer.GitHubIdentity("acme/payments");
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private TestOidcIssuer _issuer = null!;
    private TestImageRegistry _images = null!;
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        _images = new TestImageRegistry(registry.Host);
        _issuer = new TestOidcIssuer(Issuer, _workspace.Combine("jwks.json"));
        Directory.CreateDirectory(_workspace.PolicyDirectory);
        Directory.CreateDirectory(_workspace.Combine("docker"));
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "policies.yaml"), string.Join("---\n",
            Policy("payments-release", "payments", "sourceRepositoryURI: \"https://github.com/acme/payments\", sourceRepositoryRef: refs/heads/main"),
            Policy("payments-tested", "tested", "sourceRepositoryURI: \"https://github.com/acme/payments\"", $$"""
                  attestations:
                    - name: tests
                      predicateType: {{TestResults}}
                      authorities: [release]
                      conditions:
                        - {path: /result, equals: passed}
                """)));
        _server = await _workspace.StartWebhookAsync(
            $"--Attest:Keyless:Issuers:0:Issuer={Issuer}", "--Attest:Keyless:Issuers:0:Type=github-workflow",
            $"--Attest:Keyless:Issuers:0:JwksFile={_issuer.JwksFile}",
            $"--Attest:Registries:Insecure:0={registry.Host}",
            "--Attest:Admission:VerdictCacheSeconds=0");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _images.Dispose();
        _issuer.Dispose();
        _workspace.Dispose();
    }

    [Fact]
    public async Task Image_signed_keyless_by_attest_sign_is_admitted_for_its_identity_and_repository_and_denied_for_others()
    {
        // The release workflow of acme/payments: admitted, by the webhook and by attest verify.
        var released = await _images.PushImageAsync("payments/app", "v1");
        var signed = await SignAsync($"{registry.Host}/payments/app:v1", _issuer.GitHubClaims("acme/payments"), "--push");
        Assert.Contains($"with {Release} (issuer {Issuer})", signed, StringComparison.Ordinal);
        Assert.Contains($"referrer of {released}", signed, StringComparison.Ordinal);
        AssertAllowed(await ValidateAsync($"{registry.Host}/payments/app@{released}"));
        Assert.Equal(0, (await VerifyAsync($"{registry.Host}/payments/app:v1", "--policy", _workspace.PolicyDirectory)).ExitCode);
        var byIdentity = await VerifyAsync($"{registry.Host}/payments/app@{released}", "--certificate-identity", Release, "--certificate-oidc-issuer", Issuer,
            "--certificate-claim", "sourceRepositoryURI=https://github.com/acme/payments");
        Assert.True(byIdentity.ExitCode == 0, byIdentity.StandardOutput + byIdentity.StandardError);
        Assert.Contains("verdict: allow", byIdentity.StandardOutput, StringComparison.Ordinal);

        // Another workflow identity (another repository's release workflow) signs an image the policy covers: denied.
        var other = await _images.PushImageAsync("payments/other", "v1");
        await SignAsync($"{registry.Host}/payments/other@{other}", _issuer.GitHubClaims("acme/tooling"), "--push");
        var denied = DeniedMessage(await ValidateAsync($"{registry.Host}/payments/other@{other}"));
        Assert.Contains("payments-release", denied, StringComparison.Ordinal);
        var verifyOther = await VerifyAsync($"{registry.Host}/payments/other@{other}", "--policy", _workspace.PolicyDirectory);
        Assert.Equal(1, verifyOther.ExitCode);
        Assert.Contains("verdict: deny", verifyOther.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(1, (await VerifyAsync($"{registry.Host}/payments/other@{other}", "--certificate-identity", Release, "--certificate-oidc-issuer", Issuer)).ExitCode);

        // The same workflow identity (acme/payments' reusable workflow) run from another repository: the SAN matches,
        // the sourceRepositoryURI claim does not.
        var fork = await _images.PushImageAsync("payments/fork", "v1");
        var forkClaims = _issuer.GitHubClaims("acme/payments");
        forkClaims["repository"] = "acme/fork";
        await SignAsync($"{registry.Host}/payments/fork@{fork}", forkClaims, "--push");
        var forkDenied = DeniedMessage(await ValidateAsync($"{registry.Host}/payments/fork@{fork}"));
        Assert.Contains("payments-release", forkDenied, StringComparison.Ordinal);
        Assert.Equal(1, (await VerifyAsync($"{registry.Host}/payments/fork@{fork}", "--policy", _workspace.PolicyDirectory)).ExitCode);
        Assert.Equal(0, (await VerifyAsync($"{registry.Host}/payments/fork@{fork}", "--certificate-identity", Release, "--certificate-oidc-issuer", Issuer)).ExitCode);
        var claimMismatch = await VerifyAsync($"{registry.Host}/payments/fork@{fork}", "--certificate-identity", Release, "--certificate-oidc-issuer", Issuer,
            "--certificate-claim", "sourceRepositoryURI=https://github.com/acme/payments");
        Assert.Equal(1, claimMismatch.ExitCode);
        Assert.Contains("identity.claim-mismatch", claimMismatch.StandardOutput, StringComparison.Ordinal);

        // An unsigned image: denied, and attest verify says so.
        var unsigned = await _images.PushImageAsync("payments/unsigned", "v1");
        Assert.Contains("[signature.none]", DeniedMessage(await ValidateAsync($"{registry.Host}/payments/unsigned@{unsigned}")), StringComparison.Ordinal);
        Assert.Equal(1, (await VerifyAsync($"{registry.Host}/payments/unsigned@{unsigned}", "--policy", _workspace.PolicyDirectory)).ExitCode);
    }

    [Fact]
    public async Task Attestation_made_by_attest_attest_satisfies_the_webhooks_attestation_rule_only_when_its_predicate_does()
    {
        var image = await _images.PushImageAsync("tested/app", "v1");
        var claims = _issuer.GitHubClaims("acme/payments");
        await SignAsync($"{registry.Host}/tested/app@{image}", claims, "--push");
        Assert.Contains("[attestation.missing]", DeniedMessage(await ValidateAsync($"{registry.Host}/tested/app@{image}")), StringComparison.Ordinal);

        var predicate = _workspace.Combine("results.json");
        await File.WriteAllTextAsync(predicate, """{"result": "passed", "suite": "integration"}""");
        var bundle = _workspace.Combine("attestation.sigstore.json");
        var attested = await RunWithTokenAsync(claims, ["attest", $"{registry.Host}/tested/app:v1", "--predicate", predicate, "--type", TestResults,
            "--push", "--bundle", bundle, .. Connection()]);
        Assert.True(attested.ExitCode == 0, attested.StandardError);
        Assert.Contains($"attested {TestResults} about {registry.Host}/tested/app@{image}", attested.StandardOutput, StringComparison.Ordinal);
        AssertAllowed(await ValidateAsync($"{registry.Host}/tested/app@{image}"));
        Assert.Equal(0, (await VerifyAsync($"{registry.Host}/tested/app@{image}", "--policy", _workspace.PolicyDirectory)).ExitCode);
        using (var document = JsonDocument.Parse(await File.ReadAllBytesAsync(bundle)))
        {
            var material = document.RootElement.GetProperty("verificationMaterial");
            Assert.Equal("dsse", material.GetProperty("tlogEntries")[0].GetProperty("kindVersion").GetProperty("kind").GetString());
            Assert.Single(material.GetProperty("timestampVerificationData").GetProperty("rfc3161Timestamps").EnumerateArray());
        }

        // A failing predicate from the same identity does not satisfy the condition.
        var failing = await _images.PushImageAsync("tested/failing", "v1");
        await SignAsync($"{registry.Host}/tested/failing@{failing}", claims, "--push");
        await File.WriteAllTextAsync(predicate, """{"result": "failed"}""");
        var failed = await RunWithTokenAsync(claims, ["attest", $"{registry.Host}/tested/failing@{failing}", "--predicate", predicate, "--type", TestResults, "--push", .. Connection()]);
        Assert.True(failed.ExitCode == 0, failed.StandardError);
        Assert.Contains("[attestation.condition-failed]", DeniedMessage(await ValidateAsync($"{registry.Host}/tested/failing@{failing}")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_signed_with_the_GitHub_Actions_token_verifies_with_sigstore_js_and_verify_bundle_for_that_identity_only()
    {
        var token = _issuer.Token(_issuer.GitHubClaims("acme/payments"));
        string? requested = null;
        await using var actions = new LoopbackHttpServer(async context =>
        {
            // GitHub's token service: the request token as bearer, the audience as a query parameter.
            requested = context.Request.Url!.Query;
            var authorized = context.Request.Headers["Authorization"] == "Bearer request-token";
            context.Response.StatusCode = authorized ? 200 : 401;
            var body = Encoding.UTF8.GetBytes(authorized ? new JsonObject { ["count"] = 1, ["value"] = token }.ToJsonString() : "{}");
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        });
        var artifact = _workspace.Combine("release.tar.gz");
        await File.WriteAllTextAsync(artifact, "release " + Guid.NewGuid());
        var bundle = artifact + ".sigstore.json";
        var signed = await CliRunner.RunAsync(_workspace.Path, ["sign", artifact, "--bundle", bundle, .. Connection()], Environment(
            ("ACTIONS_ID_TOKEN_REQUEST_URL", $"http://{actions.Host}/token?api-version=2.0"), ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token")));
        Assert.True(signed.ExitCode == 0, signed.StandardError);
        Assert.Equal("?api-version=2.0&audience=sigstore", requested);

        var root = _workspace.Combine("trusted_root.json");
        using (var response = await _server.Client.GetAsync("v1/trusted-root"))
            await File.WriteAllBytesAsync(root, await response.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync());
        var (code, output) = await SigstoreJs.VerifyKeylessAsync(bundle, root, Release, Issuer, artifact);
        Assert.True(code == 0, $"sigstore-js: {output}");
        var verified = await CliRunner.RunAsync(_workspace.Path, "verify-bundle", "--bundle", bundle, "--certificate-identity", Release,
            "--certificate-oidc-issuer", Issuer, "--trusted-root", root, artifact);
        Assert.True(verified.ExitCode == 0, verified.StandardError);
        Assert.Equal(1, (await CliRunner.RunAsync(_workspace.Path, "verify-bundle", "--bundle", bundle, "--certificate-identity", TestOidcIssuer.GitHubIdentity("acme/other"),
            "--certificate-oidc-issuer", Issuer, "--trusted-root", root, artifact)).ExitCode);
        using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(bundle));
        Assert.Equal("hashedrekord", document.RootElement.GetProperty("verificationMaterial").GetProperty("tlogEntries")[0].GetProperty("kindVersion").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Managed_key_signature_pushed_by_attest_sign_verifies_with_attest_verify_key()
    {
        var credentials = await _server.CreateClientAsync(_workspace.DataDirectory, "ci", "sign", "verify");
        var image = await _images.PushImageAsync("managed/app", "v1");
        var managed = Environment(("ATTEST_CLIENT_ID", credentials.ClientId), ("ATTEST_CLIENT_SECRET", credentials.ClientSecret));
        var signed = await CliRunner.RunAsync(_workspace.Path, ["sign", $"{registry.Host}/managed/app:v1", "--managed-key", "--push", .. Connection()], managed);
        Assert.True(signed.ExitCode == 0, signed.StandardError);
        Assert.Contains("the server's managed key", signed.StandardOutput, StringComparison.Ordinal);

        var key = _workspace.Combine("attest.pub");
        using (var keys = await _server.SendAsync(HttpMethod.Get, "v1/keys", await _server.TokenAsync(credentials, "verify")))
        using (var document = JsonDocument.Parse(await keys.EnsureSuccessStatusCode().Content.ReadAsStringAsync()))
            await File.WriteAllTextAsync(key, document.RootElement.GetProperty("keys")[0].GetProperty("publicKey").GetString());
        var verified = await VerifyAsync($"{registry.Host}/managed/app@{image}", "--key", key);
        Assert.True(verified.ExitCode == 0, verified.StandardOutput + verified.StandardError);
        var unsigned = await _images.PushImageAsync("managed/unsigned", "v1");
        Assert.Equal(1, (await VerifyAsync($"{registry.Host}/managed/unsigned@{unsigned}", "--key", key)).ExitCode);

        // A file signed the same way, and refused without credentials.
        var artifact = _workspace.Combine("managed.txt");
        await File.WriteAllTextAsync(artifact, "managed " + Guid.NewGuid());
        var fileSigned = await CliRunner.RunAsync(_workspace.Path, ["sign", artifact, "--managed-key", "--bundle", artifact + ".bundle", .. Connection()], managed);
        Assert.True(fileSigned.ExitCode == 0, fileSigned.StandardError);
        var refused = await CliRunner.RunAsync(_workspace.Path, ["sign", artifact, "--managed-key", "--bundle", artifact + ".bundle", .. Connection()],
            Environment(("ATTEST_CLIENT_ID", credentials.ClientId), ("ATTEST_CLIENT_SECRET", "wrong")));
        Assert.Equal(1, refused.ExitCode);
        AssertOneLine(refused);
    }

    [Fact]
    public async Task Bad_input_exits_with_a_code_and_one_line_on_stderr_and_logs_nothing()
    {
        var image = await _images.PushImageAsync("payments/bad", "v1");
        var target = $"{registry.Host}/payments/bad@{image}";
        var before = await LedgerSizeAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        // No token anywhere.
        var none = await CliRunner.RunAsync(_workspace.Path, ["sign", target, "--push", .. Connection()], Environment());
        Assert.Equal(2, none.ExitCode);
        AssertOneLine(none, "no identity token");

        // Tokens the CA refuses: expired, unsigned (alg none), HMAC with the public key, another audience.
        var expired = _issuer.GitHubClaims();
        expired["iat"] = now - 3600;
        expired["nbf"] = now - 3600;
        expired["exp"] = now - 1800;
        var wrongAudience = _issuer.GitHubClaims();
        wrongAudience["aud"] = "not-sigstore";
        foreach (var (token, reason) in new[]
                 {
                     (_issuer.Token(expired), "expired"),
                     (TestOidcIssuer.UnsignedToken(_issuer.GitHubClaims()), "alg"),
                     (_issuer.HmacWithPublicKeyToken(_issuer.GitHubClaims()), "alg"),
                     (_issuer.Token(wrongAudience), "aud"),
                 })
        {
            var refused = await CliRunner.RunAsync(_workspace.Path, ["sign", target, "--push", "--identity-token", token, .. Connection()], Environment());
            Assert.Equal(1, refused.ExitCode);
            AssertOneLine(refused, "the certificate authority: 401");
            Assert.Contains(reason, refused.StandardError, StringComparison.OrdinalIgnoreCase);
        }

        // A server that does not answer; input the CLI cannot use.
        var good = _issuer.Token(_issuer.GitHubClaims());
        var unreachable = await CliRunner.RunAsync(_workspace.Path, ["sign", target, "--push", "--insecure-registry", registry.Host, "--server", $"http://127.0.0.1:{RigProcess.FreeLoopbackPort()}"],
            Environment((IdentityTokenVariable, good)));
        Assert.Equal(2, unreachable.ExitCode);
        AssertOneLine(unreachable, "cannot reach");
        foreach (var arguments in new[]
                 {
                     (string[])["sign", "not a reference!", "--push"],
                     ["sign", _issuer.JwksFile, "--push"],
                     ["sign", target],
                     ["sign", target, "--push", "--identity-token", "not-a-jwt"],
                     ["attest", target, "--push", "--predicate", _issuer.JwksFile, "--type", "not a uri"],
                     ["attest", target, "--push", "--predicate", _workspace.Combine("absent.json"), "--type", TestResults],
                     ["verify", target, "--key", _issuer.JwksFile],
                     ["verify", target, "--certificate-identity", Release],
                     ["verify", target, "--certificate-identity", Release, "--certificate-oidc-issuer", Issuer, "--key", _issuer.JwksFile],
                 })
        {
            var result = await CliRunner.RunAsync(_workspace.Path, [.. arguments, .. Connection()], Environment((IdentityTokenVariable, good)));
            Assert.True(result.ExitCode == 2, $"{string.Join(' ', arguments)}: exit {result.ExitCode} {result.StandardError}");
            AssertOneLine(result);
        }
        Assert.Equal(before, await LedgerSizeAsync());
    }

    private const string IdentityTokenVariable = "SIGSTORE_ID_TOKEN";

    /// <summary>A policy for the registry's <paramref name="repositories"/>/**: one signature by the release workflow of
    /// acme/payments (under the server's own root) with <paramref name="claims"/>, and <paramref name="more"/> of spec.</summary>
    private string Policy(string name, string repositories, string claims, string more = "") => $$"""
        apiVersion: attest.dev/v1
        kind: ImagePolicy
        metadata: {name: {{name}}}
        spec:
          match: {images: ["{{registry.Host}}/{{repositories}}/**"]}
          authorities:
            - name: release
              trustedRoot: attest
              keyless:
                identities:
                  - issuer: {{Issuer}}
                    subject: {{Release}}
                    claims: {{{claims}}}
          signatures: {authorities: [release]}
        {{more}}
        """ + "\n";

    /// <summary>Where the CLI finds the server and the registry; the webhook's TLS certificate is the only CA it trusts.</summary>
    private string[] Connection() => ["--server", _server.BaseUri.AbsoluteUri, "--ca-file", _workspace.CertificateFile, "--insecure-registry", registry.Host];

    /// <summary>A clean environment for the CLI: no token, server or docker credentials from the machine running the tests.</summary>
    private Dictionary<string, string> Environment(params (string Name, string Value)[] values)
    {
        var environment = new Dictionary<string, string>
        {
            [IdentityTokenVariable] = "", ["ACTIONS_ID_TOKEN_REQUEST_URL"] = "", ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "", ["ATTEST_URL"] = "",
            ["ATTEST_CLIENT_ID"] = "", ["ATTEST_CLIENT_SECRET"] = "", ["DOCKER_CONFIG"] = _workspace.Combine("docker"),
        };
        foreach (var (name, value) in values) environment[name] = value;
        return environment;
    }

    private Task<CliRunner.Result> RunWithTokenAsync(JsonObject claims, params string[] arguments) =>
        CliRunner.RunAsync(_workspace.Path, arguments, Environment((IdentityTokenVariable, _issuer.Token(claims))));

    private async Task<string> SignAsync(string image, JsonObject claims, params string[] options)
    {
        var result = await RunWithTokenAsync(claims, ["sign", image, .. options, .. Connection()]);
        Assert.True(result.ExitCode == 0, $"attest sign {image}: {result.StandardError}");
        return result.StandardOutput;
    }

    private Task<CliRunner.Result> VerifyAsync(string image, params string[] options) =>
        CliRunner.RunAsync(_workspace.Path, ["verify", image, .. options, .. Connection()], Environment());

    private async Task<long> LedgerSizeAsync()
    {
        using var log = await _server.Client.GetAsync("api/v1/log");
        using var document = JsonDocument.Parse(await log.EnsureSuccessStatusCode().Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("treeSize").GetInt64();
    }

    private static void AssertOneLine(CliRunner.Result result, string? contains = null)
    {
        var lines = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got: {result.StandardError}");
        Assert.StartsWith("attest: ", lines[0], StringComparison.Ordinal);
        if (contains is not null) Assert.Contains(contains, lines[0], StringComparison.OrdinalIgnoreCase);
    }

    private Task<JsonElement> ValidateAsync(string image) => AdmissionRequests.ValidateImageAsync(_server.Client, image);
}
