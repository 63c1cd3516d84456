using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Server.Tests.Admission;
using Attest.Testing;

namespace Attest.Server.Tests.Hosting;

/// <summary>
/// Trust material follows the files at once: replacing a key a policy names (in a subdirectory of the policy
/// directory, as the README lays them out) changes decisions within two seconds without a restart, with the verdict
/// cache on, and the ledger records the new revision with the key's digest. A reload that is refused leaves the last
/// good set serving and makes /readyz say so, with the errors.
/// </summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class TrustReloadTests(RegistryFixture registry) : IAsyncLifetime
{
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private readonly TestSigstore _sigstore = new();
    private readonly ECDsa _released = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _replacement = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private TestImageRegistry _images = null!;
    private ServerProcess _server = null!;
    private string _image = "";

    private string KeyFile => Path.Combine(_workspace.PolicyDirectory, "keys", "release.pub");

    public async Task InitializeAsync()
    {
        _images = new TestImageRegistry(registry.Host);
        Directory.CreateDirectory(Path.Combine(_workspace.PolicyDirectory, "keys"));
        _sigstore.WriteTrustedRoot(Path.Combine(_workspace.PolicyDirectory, "trusted_root.json"));
        await File.WriteAllTextAsync(KeyFile, _released.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(_workspace.PolicyDirectory, "policies.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: release}
            spec:
              match: {images: ["{{registry.Host}}/trust/**"]}
              signatures:
                authorities: [{name: release-key, trustedRoot: trusted_root.json, key: {file: keys/release.pub} }]
            """);
        var digest = await _images.PushImageAsync("trust/app", "v1");
        await _images.AttachBundleAsync("trust/app", digest, _sigstore.SignImage(digest, _released));
        _image = $"{registry.Host}/trust/app@{digest}";
        // The verdict cache is on (60 s): a changed key must not be hidden behind it.
        _server = await _workspace.StartWebhookAsync($"--Attest:Registries:Insecure:0={registry.Host}", "--Attest:Admission:VerdictCacheSeconds=60");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _images.Dispose();
        _sigstore.Dispose();
        _released.Dispose();
        _replacement.Dispose();
        _workspace.Dispose();
    }

    private async Task<bool> AllowedAsync()
    {
        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", _image);
        review["request"]!["dryRun"] = true;
        var (status, body) = await AdmissionRequests.PostAsync(_server.Client, "admission/validate", review);
        Assert.Equal(200, status);
        return body.RootElement.GetProperty("response").GetProperty("allowed").GetBoolean();
    }

    [Fact]
    public async Task Replacing_a_key_in_a_subdirectory_changes_decisions_within_two_seconds_and_is_recorded()
    {
        Assert.True(await AllowedAsync());
        Assert.True(await AllowedAsync()); // now cached

        var replaced = Stopwatch.StartNew();
        await File.WriteAllTextAsync(KeyFile, _replacement.ExportSubjectPublicKeyInfoPem());
        while (await AllowedAsync())
        {
            Assert.True(replaced.Elapsed < TimeSpan.FromSeconds(10), "the old key still admits the image 10 s after it was replaced");
            await Task.Delay(50);
        }
        var elapsed = replaced.Elapsed;
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"the decision changed {elapsed.TotalMilliseconds:0} ms after the key was replaced");

        var query = await CliRunner.RunAsync(_workspace.Path, "ledger", "query", "--db", Path.Combine(_workspace.DataDirectory, "ledger.db"), "--kind", "policy.loaded");
        Assert.True(query.ExitCode == 0, query.StandardError);
        var loaded = query.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("details").Clone()).ToList();
        Assert.True(loaded.Count >= 2, query.StandardOutput);
        Assert.NotEqual(loaded[0].GetProperty("revision").GetString(), loaded[^1].GetProperty("revision").GetString());
        string KeyDigest(JsonElement details) =>
            details.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == Path.Combine("keys", "release.pub")).GetProperty("digest").GetString()!;
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(KeyFile))), KeyDigest(loaded[^1]));
        Assert.NotEqual(KeyDigest(loaded[0]), KeyDigest(loaded[^1]));
    }

    [Fact]
    public async Task A_refused_reload_keeps_the_last_good_set_and_readyz_reports_it_degraded_with_the_errors()
    {
        Assert.True(await AllowedAsync());
        await File.WriteAllTextAsync(KeyFile, "not a key\n");

        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonElement policies;
        do
        {
            await Task.Delay(100);
            using var ready = await _server.Client.GetAsync("readyz");
            Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode); // the last good set still serves
            policies = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("checks").GetProperty("policies").Clone();
        }
        while (policies.GetProperty("status").GetString() != "degraded" && DateTime.UtcNow < deadline);

        Assert.Equal("degraded", policies.GetProperty("status").GetString());
        var error = Assert.Single(policies.GetProperty("errors").EnumerateArray()).GetString()!;
        Assert.Matches(@"^policies\.yaml:\d+:\d+: authority 'release-key' key is not a PEM public key", error);
        Assert.True(await AllowedAsync(), "the last good set, with the key it had, still decides");

        await File.WriteAllTextAsync(KeyFile, _released.ExportSubjectPublicKeyInfoPem());
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            using var ready = await _server.Client.GetAsync("readyz");
            if (JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString() == "ok") return;
            await Task.Delay(100);
        }
        Assert.Fail("readyz did not recover once the key file was repaired");
    }
}
