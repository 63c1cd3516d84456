using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Attest.Testing;

namespace Attest.Server.Tests.Hosting;

/// <summary>The server on a PostgreSQL ledger (several replicas share one), against the real PostgreSQL of the rig.</summary>
public sealed class PostgresLedgerServerTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Two_servers_on_one_PostgreSQL_ledger_share_clients_both_sign_and_each_bundle_verifies()
    {
        using var first = new ServerWorkspace();
        using var second = new ServerWorkspace();
        // Replicas share the ledger key, the checksum database's key and every other key through the database (no key
        // file is copied).
        var environment = SharedKeysServerTests.Environment(postgres.ConnectionString);
        environment["ATTEST_Attest__SumDb__Patterns"] = "corp.example";
        // Start-up decrypts the shared keys (scrypt, deliberately slow): allow for a loaded machine.
        await using var a = await ServerProcess.Start(first.Path, null, environment).WaitUntilListeningAsync(TimeSpan.FromSeconds(120));
        await using var b = await ServerProcess.Start(second.Path, null, environment).WaitUntilListeningAsync(TimeSpan.FromSeconds(120));

        // Clients live in the shared database: the first replica's bootstrap administrator registers a client on the
        // second, and that client's credentials work on both.
        var ci = await b.CreateClientAsync(first.DataDirectory, "shared", "sign", "verify");
        var indexes = new List<long>();
        foreach (var (server, workspace) in new[] { (a, first), (b, second), (a, first) })
        {
            var token = await server.TokenAsync(ci);
            var artifact = workspace.Combine($"artifact-{indexes.Count}.txt");
            await File.WriteAllTextAsync(artifact, $"artifact {indexes.Count} {Guid.NewGuid()}");
            var digest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(artifact)));
            using var response = await server.SendAsync(HttpMethod.Post, "v1/signatures", token, JsonContent.Create(new { digest }));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            indexes.Add(body.RootElement.GetProperty("logIndex").GetInt64());

            var bundle = workspace.Combine($"bundle-{indexes.Count}.json");
            await File.WriteAllTextAsync(bundle, body.RootElement.GetProperty("bundle").GetRawText());
            using (var root = await server.SendAsync(HttpMethod.Get, "v1/trusted-root", token))
                await File.WriteAllBytesAsync(workspace.Combine("trusted_root.json"), await root.Content.ReadAsByteArrayAsync());
            using (var keys = await server.SendAsync(HttpMethod.Get, "v1/keys", token))
            {
                using var list = JsonDocument.Parse(await keys.Content.ReadAsStringAsync());
                await File.WriteAllTextAsync(workspace.Combine("key.pub"), list.RootElement.GetProperty("keys")[0].GetProperty("publicKey").GetString());
            }
            var verified = await CliRunner.RunAsync(workspace.Path, "verify-bundle", "--bundle", bundle, "--key", workspace.Combine("key.pub"),
                "--trusted-root", workspace.Combine("trusted_root.json"), artifact);
            Assert.True(verified.ExitCode == 0, verified.StandardError);
        }
        // One log: the replicas' entries interleave in one sequence.
        Assert.Equal(indexes.Order(), indexes);
        Assert.Equal(indexes.Count, indexes.Distinct().Count());

        // One checksum database too (its key shared as well): a record published through one replica is served by the
        // other, whose refusal of other content for the version names the first.
        var module = new Attest.GoModules.ModuleVersion("corp.example/replicated", "v1.0.0");
        async Task<HttpStatusCode> PublishAsync(ServerProcess server, string marker)
        {
            using var form = new MultipartFormDataContent();
            form.Add(new StringContent(module.Path), "module");
            form.Add(new StringContent(module.Version), "version");
            form.Add(new ByteArrayContent(SumDb.SumDbServerFixture.SimpleZip(module, marker)), "zip", "m.zip");
            using var response = await server.SendAsync(HttpMethod.Post, "v1/gosum/modules", await server.TokenAsync(ci), form);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.Created, await PublishAsync(a, "first"));
        var lookup = await b.Client.GetStringAsync($"sumdb/lookup/{module}");
        Assert.Contains($"{module.Path} {module.Version} h1:", lookup, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, await PublishAsync(b, "second"));
        Assert.Equal(await a.Client.GetStringAsync("sumdb/latest"), await b.Client.GetStringAsync("sumdb/latest"));
    }

    [Fact]
    public async Task A_wrong_PostgreSQL_password_stops_start_up_with_one_line_that_does_not_show_it()
    {
        using var workspace = new ServerWorkspace();
        var wrong = postgres.ConnectionString.Replace(postgres.Password, "not-the-password-" + Guid.NewGuid().ToString("N")[..8], StringComparison.Ordinal);
        await using var server = ServerProcess.Start(workspace.Path, null, SharedKeysServerTests.Environment(wrong));
        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var error = server.StandardError.Trim();
        Assert.Single(error.Split('\n'));
        Assert.Contains("PostgreSQL ledger cannot be opened", error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", server.StandardError + server.StandardOutput, StringComparison.Ordinal);
    }
}
