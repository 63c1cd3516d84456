using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Admission;

/// <summary>Every decision becomes a ledger entry (dry runs do not), and the ledger the server wrote verifies
/// offline with the checkpoint key it announces.</summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class DecisionLedgerTests(RegistryFixture registry)
{
    [Fact]
    public async Task Decisions_are_recorded_dry_runs_are_not_and_the_ledger_verifies()
    {
        using var workspace = new ServerWorkspace(withPolicies: false);
        using var images = new TestImageRegistry(registry.Host);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(workspace.PolicyDirectory);
        await File.WriteAllTextAsync(Path.Combine(workspace.PolicyDirectory, "k.pub"), key.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(workspace.PolicyDirectory, "p.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: recorded}
            spec:
              match: {images: ["{{registry.Host}}/ledger/**"]}
              signatures: {authorities: [{name: k, key: {file: k.pub} }]}
            """);
        var digest = await images.PushImageAsync("ledger/app", "v1");
        var image = $"{registry.Host}/ledger/app@{digest}";

        string output;
        await using (var server = await workspace.Start($"--Attest:Registries:Insecure:0={registry.Host}").WaitUntilListeningAsync())
        {
            var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", image);
            var (_, decided) = await AdmissionRequests.PostAsync(server.Client, "admission/validate", review);
            Assert.False(decided.RootElement.GetProperty("response").GetProperty("allowed").GetBoolean());

            review["request"]!["dryRun"] = true;
            review["request"]!["uid"] = "dry-run-uid";
            var (_, dry) = await AdmissionRequests.PostAsync(server.Client, "admission/validate", review);
            Assert.False(dry.RootElement.GetProperty("response").GetProperty("allowed").GetBoolean());
            output = server.StandardOutput;
        }

        var database = Path.Combine(workspace.DataDirectory, "ledger.db");
        var query = await CliRunner.RunAsync(workspace.Path, "ledger", "query", "--db", database);
        Assert.Equal(0, query.ExitCode);
        Assert.Contains("policy.loaded", query.StandardOutput, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(query.StandardOutput, "admission.decision"));
        Assert.Contains(digest.ToString(), query.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("dry-run-uid", query.StandardOutput, StringComparison.Ordinal);

        var (origin, verifierKey) = AnnouncedVerifierKey(output);
        var verify = await CliRunner.RunAsync(workspace.Path, "ledger", "verify", "--db", database, "--vkey", verifierKey, "--origin", origin);
        Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);

        // A key that did not sign the checkpoints does not verify this ledger.
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var wrong = Attest.Core.Transparency.NoteVerifierKey.ForEcdsa(origin, stranger.ExportSubjectPublicKeyInfo()).ToString();
        var refused = await CliRunner.RunAsync(workspace.Path, "ledger", "verify", "--db", database, "--vkey", wrong, "--origin", origin);
        Assert.NotEqual(0, refused.ExitCode);
    }

    [Fact]
    public async Task A_denial_is_recorded_with_its_whole_causes_the_operation_and_the_requesting_user()
    {
        using var workspace = new ServerWorkspace(withPolicies: false);
        using var images = new TestImageRegistry(registry.Host);
        using var sigstore = new TestSigstore();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(workspace.PolicyDirectory);
        sigstore.WriteTrustedRoot(Path.Combine(workspace.PolicyDirectory, "trusted_root.json"));
        await File.WriteAllTextAsync(Path.Combine(workspace.PolicyDirectory, "k.pub"), key.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(Path.Combine(workspace.PolicyDirectory, "p.yaml"), $$"""
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: recorded}
            spec:
              match: {images: ["{{registry.Host}}/causes/**"]}
              signatures: {authorities: [{name: k, trustedRoot: trusted_root.json, key: {file: k.pub} }]}
            """);
        var digest = await images.PushImageAsync("causes/app", "v1");
        await images.AttachBundleAsync("causes/app", digest, sigstore.SignImage(digest, stranger));

        await using (var server = await workspace.Start($"--Attest:Registries:Insecure:0={registry.Host}").WaitUntilListeningAsync())
        {
            var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", $"{registry.Host}/causes/app@{digest}");
            var (_, decided) = await AdmissionRequests.PostAsync(server.Client, "admission/validate", review);
            Assert.False(decided.RootElement.GetProperty("response").GetProperty("allowed").GetBoolean());
        }

        var query = await CliRunner.RunAsync(workspace.Path, "ledger", "query", "--db", Path.Combine(workspace.DataDirectory, "ledger.db"), "--kind", "admission.decision");
        Assert.True(query.ExitCode == 0, query.StandardError);
        using var entry = JsonDocument.Parse(query.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single());
        var details = entry.RootElement.GetProperty("details");
        Assert.Equal("CREATE", details.GetProperty("operation").GetString());
        var user = details.GetProperty("user");
        Assert.Equal("system:serviceaccount:kube-system:replicaset-controller", user.GetProperty("username").GetString());
        Assert.Contains("system:authenticated", user.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));

        var policy = Assert.Single(details.GetProperty("policies").EnumerateArray());
        var reason = Assert.Single(policy.GetProperty("reasons").EnumerateArray());
        Assert.Equal("signature.untrusted", reason.GetProperty("code").GetString());
        Assert.Contains("none verifies", reason.GetProperty("message").GetString(), StringComparison.Ordinal);
        var cause = Assert.Single(reason.GetProperty("causes").EnumerateArray());
        Assert.Equal("k", cause.GetProperty("evidence").GetProperty("authority").GetString());
        Assert.False(string.IsNullOrEmpty(cause.GetProperty("code").GetString()));
        Assert.NotEqual("signature.untrusted", cause.GetProperty("code").GetString());
    }

    /// <summary>The origin and checkpoint verifier key from the server's structured start-up log (event 1002).</summary>
    private static (string Origin, string VerifierKey) AnnouncedVerifierKey(string output)
    {
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var entry = JsonDocument.Parse(line);
            if (entry.RootElement.GetProperty("EventId").GetInt32() != 1002) continue;
            var state = entry.RootElement.GetProperty("State");
            return (state.GetProperty("Origin").GetString()!, state.GetProperty("VerifierKey").GetString()!);
        }
        throw new InvalidOperationException("the server did not announce its checkpoint verifier key");
    }
}
