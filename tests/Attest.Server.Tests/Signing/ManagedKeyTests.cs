using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Signing;

public sealed class ManagedKeyTests
{
    [Fact]
    public async Task Rotation_makes_a_new_active_key_old_bundles_still_verify_with_the_old_key_and_the_ledger_records_it()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "sign", "verify");
        var admin = await server.TokenAsync(ApiAccess.BootstrapAdmin(workspace.DataDirectory), "admin");
        var root = workspace.Combine("trusted_root.json");
        using (var response = await server.SendAsync(HttpMethod.Get, "v1/trusted-root", token))
            await File.WriteAllBytesAsync(root, await response.Content.ReadAsByteArrayAsync());

        var artifact = workspace.Combine("a.bin");
        await File.WriteAllTextAsync(artifact, "artifact");
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(artifact)));
        var (oldKeyId, oldKey) = await ActiveKeyAsync(server, token, workspace.Combine("old.pub"));
        var oldBundle = await SignAsync(server, token, digest, workspace.Combine("old-bundle.json"));

        using (var rotate = await server.SendAsync(HttpMethod.Post, "v1/keys/rotate", admin))
            Assert.Equal(HttpStatusCode.Created, rotate.StatusCode);
        using (var denied = await server.SendAsync(HttpMethod.Post, "v1/keys/rotate", token))
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);

        var (newKeyId, newKey) = await ActiveKeyAsync(server, token, workspace.Combine("new.pub"));
        Assert.NotEqual(oldKeyId, newKeyId);
        using (var keys = await server.SendAsync(HttpMethod.Get, "v1/keys", token))
        {
            using var list = JsonDocument.Parse(await keys.Content.ReadAsStringAsync());
            Assert.Equal(2, list.RootElement.GetProperty("keys").GetArrayLength());
            Assert.False(list.RootElement.GetProperty("keys")[1].GetProperty("active").GetBoolean());
        }
        var newBundle = await SignAsync(server, token, digest, workspace.Combine("new-bundle.json"));
        using (var bundle = JsonDocument.Parse(await File.ReadAllTextAsync(newBundle)))
            Assert.Equal(newKeyId, bundle.RootElement.GetProperty("verificationMaterial").GetProperty("publicKey").GetProperty("hint").GetString());

        Assert.Equal(0, (await Verify(workspace, oldBundle, oldKey, root, artifact)).ExitCode);
        Assert.Equal(0, (await Verify(workspace, newBundle, newKey, root, artifact)).ExitCode);
        Assert.NotEqual(0, (await Verify(workspace, newBundle, oldKey, root, artifact)).ExitCode);

        var rotated = await CliRunner.RunAsync(workspace.Path, "ledger", "query", "--db", Path.Combine(workspace.DataDirectory, "ledger.db"), "--kind", "key.rotated");
        Assert.Contains(newKeyId, rotated.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(oldKeyId, rotated.StandardOutput, StringComparison.Ordinal);

        // Keys are encrypted at rest in cosign's format, owner-only.
        var files = Directory.GetFiles(Path.Combine(workspace.DataDirectory, "keys", "signing"), "*.key");
        Assert.Equal(2, files.Length);
        Assert.All(files, f =>
        {
            Assert.StartsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----", File.ReadAllText(f), StringComparison.Ordinal);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f));
        });
    }

    [Fact]
    public async Task An_Ed25519_key_signs_attestations_and_refuses_digest_signatures_with_a_reason()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start("--Attest:Signing:Algorithm=ed25519").WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "sign", "verify");
        var root = workspace.Combine("trusted_root.json");
        using (var response = await server.SendAsync(HttpMethod.Get, "v1/trusted-root", token))
            await File.WriteAllBytesAsync(root, await response.Content.ReadAsByteArrayAsync());
        var (_, key) = await ActiveKeyAsync(server, token, workspace.Combine("ed.pub"));
        var artifact = workspace.Combine("a.bin");
        await File.WriteAllTextAsync(artifact, "artifact");
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(artifact)));

        using (var refused = await server.SendAsync(HttpMethod.Post, "v1/signatures", token, JsonContent.Create(new { digest })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("Ed25519", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using var attested = await server.SendAsync(HttpMethod.Post, "v1/attestations", token, JsonContent.Create(new
        {
            subject = new { name = "a.bin", digest },
            predicateType = "https://example.com/predicate/v1",
            predicate = new { ok = true },
        }));
        Assert.Equal(HttpStatusCode.Created, attested.StatusCode);
        using var body = JsonDocument.Parse(await attested.Content.ReadAsStringAsync());
        var bundle = workspace.Combine("ed-bundle.json");
        await File.WriteAllTextAsync(bundle, body.RootElement.GetProperty("bundle").GetRawText());
        var verified = await Verify(workspace, bundle, key, root, artifact);
        Assert.True(verified.ExitCode == 0, verified.StandardError);
    }

    private static async Task<(string KeyId, string File)> ActiveKeyAsync(ServerProcess server, string token, string file)
    {
        using var response = await server.SendAsync(HttpMethod.Get, "v1/keys", token);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var active = document.RootElement.GetProperty("keys")[0];
        Assert.True(active.GetProperty("active").GetBoolean());
        await File.WriteAllTextAsync(file, active.GetProperty("publicKey").GetString());
        return (active.GetProperty("keyId").GetString()!, file);
    }

    private static async Task<string> SignAsync(ServerProcess server, string token, string digest, string file)
    {
        using var response = await server.SendAsync(HttpMethod.Post, "v1/signatures", token, JsonContent.Create(new { digest }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        await File.WriteAllTextAsync(file, body.RootElement.GetProperty("bundle").GetRawText());
        return file;
    }

    private static Task<CliRunner.Result> Verify(ServerWorkspace workspace, string bundle, string key, string root, string artifact) =>
        CliRunner.RunAsync(workspace.Path, "verify-bundle", "--bundle", bundle, "--key", key, "--trusted-root", root, artifact);
}
