using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Testing;
using Dapper;
using Npgsql;

namespace Attest.Server.Tests.Hosting;

/// <summary>
/// Three real server processes on one real PostgreSQL database, each with its own empty data directory: every key
/// lives in the database (encrypted with the key-encryption password), so the replicas share the ledger key, the
/// managed signing keys, the access-token signing key, one bootstrap administrator, the keyless CA, CT log and TSA and the
/// checksum database's key; a key rotated through one replica signs on the others within 5 seconds, and bundles signed
/// before still verify on all three.
/// </summary>
public sealed class SharedKeysServerTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private const string Password = "correct horse battery staple";

    internal static async Task<string> CreateDatabaseAsync(PostgresFixture postgres)
    {
        var server = new NpgsqlConnectionStringBuilder(postgres.ConnectionStringFor("postgres"));
        var name = "ha_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync($"CREATE DATABASE {name}");
        }
        server.Database = name;
        return server.ConnectionString;
    }

    internal static Dictionary<string, string> Environment(string connectionString, string password = Password) => new()
    {
        ["ATTEST_Attest__Ledger__Provider"] = "postgresql",
        ["ATTEST_Attest__Ledger__ConnectionString"] = connectionString,
        ["ATTEST_Attest__Signing__KeyPassword"] = password,
    };

    [Fact]
    public async Task Replicas_share_every_key_and_a_rotation_through_one_signs_on_all_within_5_seconds()
    {
        var database = await CreateDatabaseAsync(postgres);
        var workspaces = Enumerable.Range(0, 3).Select(_ => new ServerWorkspace()).ToList();
        var servers = new List<ServerProcess>();
        try
        {
            // Started together: they race to create the first keys and the administrator, and must agree.
            servers.AddRange(await Task.WhenAll(workspaces.Select(w => ServerProcess.Start(w.Path, null, Environment(database)).WaitUntilListeningAsync(TimeSpan.FromSeconds(90)))));
            foreach (var w in workspaces) Assert.False(Directory.Exists(Path.Combine(w.DataDirectory, "keys", "signing")), "managed keys must not be files");
            var admins = workspaces.Select(w => File.ReadAllText(Path.Combine(w.DataDirectory, "admin-credentials.json"))).Distinct().ToList();
            Assert.Single(admins);
            var admin = ApiAccess.BootstrapAdmin(workspaces[0].DataDirectory);

            // A token issued by one replica is accepted by the others (one token signing key in the database).
            var adminToken = await servers[0].TokenAsync(admin);
            using (var clients = await servers[2].SendAsync(HttpMethod.Get, "v1/clients", adminToken))
            {
                Assert.Equal(HttpStatusCode.OK, clients.StatusCode);
                using var list = JsonDocument.Parse(await clients.Content.ReadAsStringAsync());
                Assert.Single(list.RootElement.GetProperty("clients").EnumerateArray(), c => c.GetProperty("name").GetString() == "bootstrap-admin");
            }
            var ci = await servers[1].CreateClientAsync(workspaces[0].DataDirectory, "ci", "sign", "verify");
            var tokens = await Task.WhenAll(servers.Select(s => s.TokenAsync(ci)));

            // One token revoked (RFC 7009) through one replica is refused by every replica on the very next request.
            var doomed = await servers[0].TokenAsync(ci);
            foreach (var server in servers)
            {
                using var works = await server.SendAsync(HttpMethod.Get, "v1/keys", doomed);
                Assert.Equal(HttpStatusCode.OK, works.StatusCode);
            }
            using (var revoked = await servers[2].PostFormAsync("oauth/revoke", ci, ("token", doomed)))
                Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            foreach (var server in servers)
            {
                using var refused = await server.SendAsync(HttpMethod.Get, "v1/keys", doomed);
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }

            // So is every token of a client revoked through one replica, on replicas that accepted its token just before
            // (nothing of a client's standing is cached).
            var leaving = await servers[1].CreateClientAsync(workspaces[0].DataDirectory, "leaving", "verify");
            var leavingToken = await servers[1].TokenAsync(leaving);
            foreach (var server in servers)
            {
                using var works = await server.SendAsync(HttpMethod.Get, "v1/keys", leavingToken);
                Assert.Equal(HttpStatusCode.OK, works.StatusCode);
            }
            using (var revokeClient = await servers[0].SendAsync(HttpMethod.Delete, $"v1/clients/{leaving.ClientId}", adminToken))
                Assert.Equal(HttpStatusCode.OK, revokeClient.StatusCode);
            foreach (var server in servers)
            {
                using var refused = await server.SendAsync(HttpMethod.Get, "v1/keys", leavingToken);
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
                Assert.Contains("client has been revoked", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            }

            // Every replica lists the same keys, and the same ledger key signs the shared log.
            var before = await Task.WhenAll(servers.Select((s, i) => KeysAsync(s, tokens[i])));
            Assert.All(before, keys => Assert.Equal(before[0], keys));
            var roots = await Task.WhenAll(servers.Select((s, i) => TrustedRootAsync(s, tokens[i])));
            Assert.All(roots, r => Assert.Equal(TlogKeys(roots[0]), TlogKeys(r)));
            // So do the keyless authorities (CA, CT log, TSA) and the checksum database's key.
            Assert.All(roots, r => Assert.Equal(AuthorityKeys(roots[0]), AuthorityKeys(r)));
            Assert.Single((await Task.WhenAll(servers.Select((s, i) => SumDbKeyAsync(s, tokens[i])))).Distinct());

            var signedBefore = new List<(string Bundle, string Artifact)>();
            for (var i = 0; i < 3; i++) signedBefore.Add(await SignAsync(servers[i], tokens[i], workspaces[i], before[0][0]));

            // Rotate through replica A; B and C sign with the new key within 5 seconds.
            using var rotated = await servers[0].SendAsync(HttpMethod.Post, "v1/keys/rotate", adminToken);
            Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
            var newKey = JsonDocument.Parse(await rotated.Content.ReadAsStringAsync()).RootElement.GetProperty("keyId").GetString()!;
            var clock = Stopwatch.StartNew();
            foreach (var i in new[] { 1, 2 })
            {
                while (true)
                {
                    var (_, keyId) = await SignWithKeyAsync(servers[i], tokens[i], workspaces[i]);
                    if (keyId == newKey) break;
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"replica {i} still signs with {keyId} {clock.Elapsed.TotalSeconds:F1} s after the rotation");
                    await Task.Delay(100);
                }
            }
            var after = await Task.WhenAll(servers.Select((s, i) => KeysAsync(s, tokens[i])));
            Assert.All(after, keys => Assert.Equal([newKey, .. before[0]], keys));

            // Bundles signed before the rotation still verify, with the retired key each replica still lists.
            for (var r = 0; r < 3; r++)
            {
                var keyFile = workspaces[r].Combine("old-key.pub");
                await File.WriteAllTextAsync(keyFile, await PublicKeyAsync(servers[r], tokens[r], before[0][0]));
                var rootFile = workspaces[r].Combine("trusted_root.json");
                await File.WriteAllTextAsync(rootFile, await TrustedRootAsync(servers[r], tokens[r]));
                foreach (var (bundle, artifact) in signedBefore)
                {
                    var verified = await CliRunner.RunAsync(workspaces[r].Path, "verify-bundle", "--bundle", bundle, "--key", keyFile, "--trusted-root", rootFile, artifact);
                    Assert.True(verified.ExitCode == 0, verified.StandardError);
                }
            }
        }
        finally
        {
            foreach (var s in servers) await s.DisposeAsync();
            foreach (var w in workspaces) w.Dispose();
        }
    }

    [Fact]
    public async Task Replica_with_another_key_encryption_password_refuses_to_start()
    {
        var database = await CreateDatabaseAsync(postgres);
        using var first = new ServerWorkspace();
        using var second = new ServerWorkspace();
        await using (var a = await ServerProcess.Start(first.Path, null, Environment(database)).WaitUntilListeningAsync(TimeSpan.FromSeconds(60)))
        {
        }
        await using var b = ServerProcess.Start(second.Path, null, Environment(database, "another password entirely"));
        Assert.Equal(2, await b.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("cannot be opened with Attest:Signing:KeyPassword", b.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("another password", b.StandardError + b.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSQL_ledger_without_a_key_encryption_password_refuses_to_start()
    {
        var database = await CreateDatabaseAsync(postgres);
        using var workspace = new ServerWorkspace();
        var environment = Environment(database);
        environment.Remove("ATTEST_Attest__Signing__KeyPassword");
        await using var server = ServerProcess.Start(workspace.Path, null, environment);
        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Attest:Signing:KeyPassword is required with the postgresql ledger", server.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_in_the_database_are_encrypted_and_rows_cannot_be_changed()
    {
        var database = await CreateDatabaseAsync(postgres);
        using var workspace = new ServerWorkspace();
        await using (var server = await ServerProcess.Start(workspace.Path, null, Environment(database)).WaitUntilListeningAsync(TimeSpan.FromSeconds(60)))
        {
        }
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var rows = (await connection.QueryAsync<(string Kind, string Value)>("SELECT kind AS Kind, value AS Value FROM attest_secrets")).ToList();
        Assert.Contains(rows, r => r.Kind == "ledger-key");
        Assert.Contains(rows, r => r.Kind == "managed-signing-key");
        Assert.Contains(rows, r => r.Kind == "oauth-signing-key");
        Assert.Contains(rows, r => r.Kind == "bootstrap-admin");
        Assert.Contains(rows, r => r.Kind == "sumdb-key");
        foreach (var kind in new[] { "ctlog-key", "ca-root-key", "ca-key", "ca-chain", "tsa-root-key", "tsa-key", "tsa-chain" })
            Assert.Contains(rows, r => r.Kind == "keyless-" + kind);
        // Nothing of it is a file of the replica.
        Assert.False(File.Exists(Path.Combine(workspace.DataDirectory, "keys", "signing-key.pem")));
        Assert.False(File.Exists(Path.Combine(workspace.DataDirectory, "keys", "sumdb-key")));
        Assert.False(Directory.Exists(Path.Combine(workspace.DataDirectory, "keys", "keyless")));
        Assert.All(rows, r => Assert.StartsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----", r.Value, StringComparison.Ordinal));
        Assert.DoesNotContain(rows, r => r.Value.Contains("PRIVATE KEY-----\nMIG", StringComparison.Ordinal) || r.Value.Contains("client_secret", StringComparison.Ordinal));
        await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("UPDATE attest_secrets SET value = 'x' WHERE kind = 'ledger-key'"));
        await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("DELETE FROM attest_secrets WHERE kind = 'managed-signing-key'"));
    }

    [Fact]
    public async Task Moving_to_the_database_takes_over_the_key_files_a_replica_had()
    {
        using var workspace = new ServerWorkspace();
        string ledgerKeys, authorities, sumdbKey;
        // Keys as files (the layout before keys moved to the database), created by a first start.
        await using (var before = await ServerProcess.Start(workspace.Path).WaitUntilListeningAsync(TimeSpan.FromSeconds(90)))
        {
            var token = await before.TokenAsync(ApiAccess.BootstrapAdmin(workspace.DataDirectory));
            var root = await TrustedRootAsync(before, token);
            (ledgerKeys, authorities, sumdbKey) = (TlogKeys(root), AuthorityKeys(root), await SumDbKeyAsync(before, token));
        }
        Assert.True(File.Exists(Path.Combine(workspace.DataDirectory, "keys", "sumdb-key")));
        // The ledger itself moves to a new database here, so the old log's high-water mark goes with it.
        File.Delete(Path.Combine(workspace.DataDirectory, "keys", "ledger-checkpoint.note"));

        // The same replica, now on a PostgreSQL ledger, and a new one beside it: both use the keys of those files.
        var database = await CreateDatabaseAsync(postgres);
        using var other = new ServerWorkspace();
        await using var upgraded = await ServerProcess.Start(workspace.Path, null, Environment(database)).WaitUntilListeningAsync(TimeSpan.FromSeconds(90));
        await using var added = await ServerProcess.Start(other.Path, null, Environment(database)).WaitUntilListeningAsync(TimeSpan.FromSeconds(90));
        foreach (var (server, data) in new[] { (upgraded, workspace.DataDirectory), (added, workspace.DataDirectory) })
        {
            var token = await server.TokenAsync(ApiAccess.BootstrapAdmin(data));
            var root = await TrustedRootAsync(server, token);
            Assert.Equal(ledgerKeys, TlogKeys(root));
            Assert.Equal(authorities, AuthorityKeys(root));
            Assert.Equal(sumdbKey, await SumDbKeyAsync(server, token));
        }
    }

    private static async Task<List<string>> KeysAsync(ServerProcess server, string token)
    {
        using var response = await server.SendAsync(HttpMethod.Get, "v1/keys", token);
        using var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. list.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("keyId").GetString()!)];
    }

    private static async Task<string> PublicKeyAsync(ServerProcess server, string token, string keyId)
    {
        using var response = await server.SendAsync(HttpMethod.Get, "v1/keys", token);
        using var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return list.RootElement.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("keyId").GetString() == keyId).GetProperty("publicKey").GetString()!;
    }

    private static async Task<string> TrustedRootAsync(ServerProcess server, string token)
    {
        using var response = await server.SendAsync(HttpMethod.Get, "v1/trusted-root", token);
        return await response.Content.ReadAsStringAsync();
    }

    private static string TlogKeys(string trustedRoot)
    {
        using var root = JsonDocument.Parse(trustedRoot);
        return string.Join(",", root.RootElement.GetProperty("tlogs").EnumerateArray().Select(t => t.GetProperty("publicKey").GetProperty("rawBytes").GetString()));
    }

    /// <summary>The keyless authorities' keys and certificates in a trusted root (not their URLs, which name the replica).</summary>
    private static string AuthorityKeys(string trustedRoot)
    {
        using var root = JsonDocument.Parse(trustedRoot);
        IEnumerable<string> Raw(string section, string path) => root.RootElement.TryGetProperty(section, out var items)
            ? items.EnumerateArray().SelectMany(item => path == "publicKey"
                ? [item.GetProperty("publicKey").GetProperty("rawBytes").GetString()!]
                : item.GetProperty("certChain").GetProperty("certificates").EnumerateArray().Select(c => c.GetProperty("rawBytes").GetString()!))
            : [];
        var keys = Raw("certificateAuthorities", "certChain").Concat(Raw("ctlogs", "publicKey")).Concat(Raw("timestampAuthorities", "certChain")).ToList();
        Assert.NotEmpty(keys);
        return string.Join(",", keys);
    }

    private static async Task<string> SumDbKeyAsync(ServerProcess server, string token)
    {
        using var response = await server.SendAsync(HttpMethod.Get, "v1/sumdb/verifier-key", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var key = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return key.RootElement.GetProperty("verifierKey").GetString()!;
    }

    private static async Task<(string Bundle, string Artifact)> SignAsync(ServerProcess server, string token, ServerWorkspace workspace, string expectedKey)
    {
        var (signed, keyId) = await SignWithKeyAsync(server, token, workspace);
        Assert.Equal(expectedKey, keyId);
        return signed;
    }

    private static async Task<((string Bundle, string Artifact) Signed, string KeyId)> SignWithKeyAsync(ServerProcess server, string token, ServerWorkspace workspace)
    {
        var name = Guid.NewGuid().ToString("N");
        var artifact = workspace.Combine($"artifact-{name}.txt");
        await File.WriteAllTextAsync(artifact, $"artifact {name}");
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(artifact)));
        using var response = await server.SendAsync(HttpMethod.Post, "v1/signatures", token, JsonContent.Create(new { digest }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var bundle = workspace.Combine($"bundle-{name}.json");
        await File.WriteAllTextAsync(bundle, body.RootElement.GetProperty("bundle").GetRawText());
        return ((bundle, artifact), body.RootElement.GetProperty("keyId").GetString()!);
    }
}
