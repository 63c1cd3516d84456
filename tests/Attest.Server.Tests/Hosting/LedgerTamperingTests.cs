using System.Data.Common;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core.Transparency;
using Attest.Server.Tests.Admission;
using Attest.Testing;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Attest.Server.Tests.Hosting;

/// <summary>
/// Someone with database access (and only that) edits the ledger while the server is stopped: a search column, a
/// body, a body with its leaf hash, the order of two rows, or the whole history above an older checkpoint. Each is
/// found — by <c>attest ledger verify</c>, by the start-up audit of the tail, or by the background audit that makes
/// <c>/readyz</c> fail naming the index — the altered row is withheld from queries, nothing answers 500, and a log
/// rolled back below the checkpoint the server signed is refused. On SQLite files and on PostgreSQL alike.
/// </summary>
public sealed class LedgerTamperingTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Edited_search_column_fails_verify_and_readiness_and_queries_withhold_the_row(string provider)
    {
        await using var ledger = await LedgerUnderTest.CreateAsync(provider, postgres);
        string vkey;
        await using (var server = await ledger.StartAsync())
        {
            var denied = await DenyAsync(server);
            Assert.False(denied);
            vkey = await VerifierKeyAsync(server, ledger);
        }
        var index = await ledger.ScalarAsync("SELECT idx FROM entries WHERE kind = 'admission.decision' AND verdict = 'deny'");
        // The deny is relabelled allow in the column only: a search for denials would no longer find it.
        await ledger.TamperAsync("UPDATE entries SET verdict = 'allow' WHERE idx = @index", new { index });

        var verify = await ledger.VerifyAsync(vkey);
        Assert.True(verify.ExitCode == 1, verify.StandardOutput + verify.StandardError);
        Assert.Contains(Attest.Ledger.LedgerCodes.EntryColumnMismatch, verify.StandardError, StringComparison.Ordinal);
        Assert.Contains($"first bad index {index}", verify.StandardOutput, StringComparison.Ordinal);

        await using var restarted = await ledger.StartAsync();
        var readiness = await WaitUntilNotReadyAsync(restarted);
        Assert.Contains($"at index {index}", readiness, StringComparison.Ordinal);
        Assert.Contains(Attest.Ledger.LedgerCodes.EntryColumnMismatch, readiness, StringComparison.Ordinal);

        var token = await restarted.TokenForScopesAsync(ledger.Workspace.DataDirectory, "audit");
        using var allowed = await restarted.SendAsync(HttpMethod.Get, "v1/ledger/entries?kind=admission.decision&verdict=allow", token);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        using var page = JsonDocument.Parse(await allowed.Content.ReadAsStringAsync());
        Assert.Empty(page.RootElement.GetProperty("entries").EnumerateArray());
        var withheld = Assert.Single(page.RootElement.GetProperty("withheld").EnumerateArray());
        Assert.Equal(index, withheld.GetProperty("index").GetInt64());
        Assert.Contains("'verdict' column", withheld.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task History_rolled_back_below_the_checkpoint_the_server_signed_is_refused(string provider)
    {
        await using var ledger = await LedgerUnderTest.CreateAsync(provider, postgres);
        await using (var server = await ledger.StartAsync())
        {
            // Several checkpoints: one after each batch of entries.
            for (var i = 0; i < 3; i++)
            {
                await server.CreateClientAsync(ledger.Workspace.DataDirectory, $"ci-{i}", "sign");
                await WaitForCheckpointCoveringAllAsync(server, ledger);
            }
        }
        var sizes = await ledger.CheckpointSizesAsync();
        Assert.True(sizes.Count >= 3, string.Join(",", sizes));
        var older = sizes[^3];
        // With database access only: entries and checkpoints above an older checkpoint deleted, the head pointed at it.
        await ledger.TamperAsync("""
            DELETE FROM entries WHERE idx >= @older;
            DELETE FROM checkpoints WHERE size > @older;
            UPDATE checkpoint_head SET size = @older, note = (SELECT note FROM checkpoints WHERE size = @older) WHERE id = 1;
            """, new { older });

        await using var restarted = ledger.Start();
        Assert.Equal(2, await restarted.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("rolled back", restarted.StandardError, StringComparison.Ordinal);
        Assert.Contains($"size {sizes[^1]}", restarted.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite", "body")]
    [InlineData("sqlite", "body-and-leaf")]
    [InlineData("sqlite", "reorder")]
    [InlineData("postgresql", "body-and-leaf")]
    public async Task Altered_entry_makes_readiness_fail_naming_its_index_and_is_not_served(string provider, string alteration)
    {
        await using var ledger = await LedgerUnderTest.CreateAsync(provider, postgres);
        await using (var server = await ledger.StartAsync())
        {
            await server.CreateClientAsync(ledger.Workspace.DataDirectory, "ci", "sign");
            await WaitForCheckpointCoveringAllAsync(server, ledger);
        }
        const long target = 2;
        var bodies = await ledger.BodiesAsync();
        switch (alteration)
        {
            case "body":
                await ledger.TamperAsync("UPDATE entries SET body = @body WHERE idx = @target", new { body = Rewrite(bodies[target]), target });
                break;
            case "body-and-leaf":
                var body = Rewrite(bodies[target]);
                await ledger.TamperAsync("UPDATE entries SET body = @body, leaf_hash = @leaf WHERE idx = @target", new { body, leaf = MerkleHash.Leaf(body), target });
                break;
            default:
                // Rows 2 and 3 change places, each keeping its own leaf hash.
                await ledger.TamperAsync("UPDATE entries SET body = @second, leaf_hash = @secondLeaf WHERE idx = 2; UPDATE entries SET body = @first, leaf_hash = @firstLeaf WHERE idx = 3",
                    new { first = bodies[2], firstLeaf = MerkleHash.Leaf(bodies[2]), second = bodies[3], secondLeaf = MerkleHash.Leaf(bodies[3]) });
                break;
        }

        await using var restarted = await ledger.StartAsync();
        var readiness = await WaitUntilNotReadyAsync(restarted);
        if (alteration == "body-and-leaf")
        {
            // A body rewritten with its leaf hash shows only against a signed root: the index named is where the
            // interval that can no longer be vouched for begins.
            var named = System.Text.RegularExpressions.Regex.Match(readiness, @"at index (\d+)");
            Assert.True(named.Success && long.Parse(named.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= target, readiness);
            Assert.Contains("rewritten", readiness, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(readiness.Contains($"at index {target}", StringComparison.Ordinal), readiness);
        }

        var token = await restarted.TokenForScopesAsync(ledger.Workspace.DataDirectory, "audit");
        using var entry = await restarted.SendAsync(HttpMethod.Get, $"v1/ledger/entries/{target}", token);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, entry.StatusCode);
        Assert.Equal("application/problem+json", entry.Content.Headers.ContentType?.MediaType);
        using var proof = await restarted.SendAsync(HttpMethod.Get, $"v1/ledger/proofs/inclusion?index={target}", token);
        Assert.NotEqual(HttpStatusCode.InternalServerError, proof.StatusCode);
    }

    [Fact]
    public async Task Altered_tail_after_the_last_verified_checkpoint_stops_the_start()
    {
        await using var ledger = await LedgerUnderTest.CreateAsync("sqlite", postgres);
        await using (await ledger.StartAsync())
        {
        }
        // Entries appended after the server stopped (attest ledger append with the server's key signs a checkpoint over
        // them): the tail the next start replays. One of them is then rewritten, leaf hash included.
        var key = Path.Combine(ledger.Workspace.DataDirectory, "keys", "signing-key.pem");
        var appended = await CliRunner.RunAsync(ledger.Workspace.Path, "ledger", "append", "--db", ledger.SqlitePath, "--key", key,
            "--origin", "attest.local/ledger", "--json", """{"note":"appended while the server was stopped"}""");
        Assert.True(appended.ExitCode == 0, appended.StandardError);
        var bodies = await ledger.BodiesAsync();
        var last = bodies.Keys.Max();
        var body = Rewrite(bodies[last]);
        await ledger.TamperAsync("UPDATE entries SET body = @body, leaf_hash = @leaf WHERE idx = @last", new { body, leaf = MerkleHash.Leaf(body), last });

        await using var restarted = ledger.Start();
        Assert.Equal(2, await restarted.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("does not verify at index", restarted.StandardError, StringComparison.Ordinal);
    }

    /// <summary>The same entry with its details changed (still valid JSON; no search column copies details).</summary>
    private static byte[] Rewrite(byte[] body)
    {
        var node = JsonNode.Parse(body)!.AsObject();
        if (node["details"] is not JsonObject details) node["details"] = details = [];
        details["altered"] = true;
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    /// <summary>Posts a pod no policy covers (denied: unmatched images fail closed), recorded in the ledger as a deny.</summary>
    private static async Task<bool> DenyAsync(ServerProcess server)
    {
        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", $"registry.example.com/unmatched@sha256:{new string('b', 64)}");
        var (status, body) = await AdmissionRequests.PostAsync(server.Client, "admission/validate", review);
        Assert.Equal(200, status);
        return body.RootElement.GetProperty("response").GetProperty("allowed").GetBoolean();
    }

    private static async Task<string> VerifierKeyAsync(ServerProcess server, LedgerUnderTest ledger)
    {
        var checkpoint = await WaitForCheckpointCoveringAllAsync(server, ledger);
        return checkpoint.GetProperty("verifierKeys")[0].GetString()!;
    }

    private static async Task<JsonElement> WaitForCheckpointCoveringAllAsync(ServerProcess server, LedgerUnderTest ledger)
    {
        var token = await server.TokenForScopesAsync(ledger.Workspace.DataDirectory, "audit");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await server.SendAsync(HttpMethod.Get, "v1/ledger/checkpoint", token);
            var text = await response.Content.ReadAsStringAsync();
            using var entries = await server.SendAsync(HttpMethod.Get, "v1/ledger/entries?order=desc&limit=1", token);
            var page = await entries.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK && entries.StatusCode == HttpStatusCode.OK)
            {
                var checkpoint = JsonDocument.Parse(text).RootElement.Clone();
                var newest = JsonDocument.Parse(page).RootElement.GetProperty("entries")[0].GetProperty("index").GetInt64();
                if (checkpoint.GetProperty("size").GetInt64() > newest) return checkpoint;
            }
            Assert.True(DateTime.UtcNow < deadline, $"no checkpoint covers the ledger: {text} {page}\n{server.StandardOutput}");
            await Task.Delay(200);
        }
    }

    private static async Task<string> WaitUntilNotReadyAsync(ServerProcess server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await server.Client.GetAsync("readyz");
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable) return body;
            Assert.True(DateTime.UtcNow < deadline, $"still ready: {body}");
            await Task.Delay(250);
        }
    }

    /// <summary>A server workspace on one ledger store, and direct database access to it (the attacker's).</summary>
    private sealed class LedgerUnderTest : IAsyncDisposable
    {
        private readonly Dictionary<string, string>? _environment;

        private LedgerUnderTest(string provider, string? connectionString)
        {
            Provider = provider;
            ConnectionString = connectionString;
            // On PostgreSQL the keys live in the database, encrypted with the key-encryption password.
            _environment = connectionString is null ? null : SharedKeysServerTests.Environment(connectionString);
        }

        public ServerWorkspace Workspace { get; } = new();

        public string Provider { get; }

        public string? ConnectionString { get; }

        public string SqlitePath => Path.Combine(Workspace.DataDirectory, "ledger.db");

        public static async Task<LedgerUnderTest> CreateAsync(string provider, PostgresFixture postgres)
        {
            if (provider == "sqlite") return new LedgerUnderTest(provider, null);
            var database = "tamper_" + Guid.NewGuid().ToString("N")[..12];
            await using (var connection = new NpgsqlConnection(postgres.ConnectionString))
            {
                await connection.OpenAsync();
                await connection.ExecuteAsync($"CREATE DATABASE {database}");
            }
            return new LedgerUnderTest(provider, postgres.ConnectionStringFor(database));
        }

        public Task<ServerProcess> StartAsync() => Workspace.StartWebhookAsync(_environment, []);

        public ServerProcess Start() => Workspace.StartWebhook(_environment, []);

        public async Task<CliRunner.Result> VerifyAsync(string vkey) => ConnectionString is null
            ? await CliRunner.RunAsync(Workspace.Path, "ledger", "verify", "--db", SqlitePath, "--vkey", vkey)
            : await CliRunner.RunAsync(Workspace.Path, ["ledger", "verify", "--vkey", vkey], new Dictionary<string, string> { ["ATTEST_LEDGER_CONNECTION"] = ConnectionString });

        /// <summary>Runs statements with the append-only triggers out of the way, as someone with database access can.</summary>
        public async Task TamperAsync(string sql, object? parameters = null)
        {
            await using var connection = await OpenAsync();
            var (off, on) = ConnectionString is null
                ? ("DROP TRIGGER IF EXISTS entries_no_update; DROP TRIGGER IF EXISTS entries_no_delete; DROP TRIGGER IF EXISTS checkpoints_no_delete; DROP TRIGGER IF EXISTS checkpoint_head_forward_only;", "")
                : ("ALTER TABLE entries DISABLE TRIGGER ALL; ALTER TABLE checkpoints DISABLE TRIGGER ALL; ALTER TABLE checkpoint_head DISABLE TRIGGER ALL;",
                   "ALTER TABLE entries ENABLE TRIGGER ALL; ALTER TABLE checkpoints ENABLE TRIGGER ALL; ALTER TABLE checkpoint_head ENABLE TRIGGER ALL;");
            await connection.ExecuteAsync(off);
            await connection.ExecuteAsync(sql, parameters);
            if (on.Length > 0) await connection.ExecuteAsync(on);
        }

        public async Task<long> ScalarAsync(string sql)
        {
            await using var connection = await OpenAsync();
            return await connection.ExecuteScalarAsync<long>(sql);
        }

        public async Task<List<long>> CheckpointSizesAsync()
        {
            await using var connection = await OpenAsync();
            return [.. await connection.QueryAsync<long>("SELECT size FROM checkpoints ORDER BY size")];
        }

        public async Task<Dictionary<long, byte[]>> BodiesAsync()
        {
            await using var connection = await OpenAsync();
            return (await connection.QueryAsync<(long Idx, byte[] Body)>("SELECT idx, body FROM entries ORDER BY idx")).ToDictionary(r => r.Idx, r => r.Body);
        }

        private async Task<DbConnection> OpenAsync()
        {
            DbConnection connection = ConnectionString is null
                ? new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = SqlitePath, Pooling = false }.ToString())
                : new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            return connection;
        }

        public ValueTask DisposeAsync()
        {
            Workspace.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
