using Attest.GoModules;
using Attest.Server.Tests.Hosting;
using Attest.Testing;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Attest.Server.Tests.SumDb;

/// <summary>The attest command against Attest's own checksum database: publish from CI, check a go.sum against it, and
/// replay the whole database offline (its tiles and signed tree heads, or its database file).</summary>
[Collection(SumDbCollection.Name)]
public sealed class SumDbCliTests(SumDbServerFixture fixture)
{
    [Fact]
    public async Task Publish_then_gosum_verify_checks_a_go_sum_against_the_database()
    {
        using var go = fixture.NewGo();
        var module = new ModuleVersion("corp.example/cli/lib", "v1.0.0");
        var zip = SumDbServerFixture.SimpleZip(module, "cli");
        SumDbServerFixture.Serve(go, module, zip);
        var zipFile = Path.Combine(go.Work, "lib.zip");
        await File.WriteAllBytesAsync(zipFile, zip);
        var credentials = await CredentialsFileAsync(go.Work);

        var published = await CliRunner.RunAsync(go.Work, "gosum", "publish", zipFile, "--module", module.ToString(), "--url", fixture.Server.BaseUri.AbsoluteUri, "--credentials", credentials);
        Assert.True(published.ExitCode == 0, published.StandardError);
        Assert.Contains("recorded as record", published.StandardError, StringComparison.Ordinal);
        var lines = published.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith($"{module.Path} {module.Version}/go.mod h1:", lines[1], StringComparison.Ordinal);

        var again = await CliRunner.RunAsync(go.Work, "gosum", "publish", zipFile, "--module", module.ToString(), "--url", fixture.Server.BaseUri.AbsoluteUri, "--credentials", credentials);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already recorded", again.StandardError, StringComparison.Ordinal);
        var other = Path.Combine(go.Work, "other.zip");
        await File.WriteAllBytesAsync(other, SumDbServerFixture.SimpleZip(module, "changed"));
        var refused = await CliRunner.RunAsync(go.Work, "gosum", "publish", other, "--module", module.ToString(), "--url", fixture.Server.BaseUri.AbsoluteUri, "--credentials", credentials);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is already recorded with", refused.StandardError, StringComparison.Ordinal);

        // A consumer's go.sum, written by the go command through the database, verifies against it with attest.
        var main = Path.Combine(go.Work, "main");
        Directory.CreateDirectory(main);
        await File.WriteAllTextAsync(Path.Combine(main, "go.mod"), "module example.com/consumer\n\ngo 1.19\n");
        Assert.Equal(0, go.Run(main, "-mod=mod", "get", module.ToString()).ExitCode);
        var verify = await CliRunner.RunAsync(main, "gosum", "verify", main, "--modcache", go.ModCache, "--sumdb-url", fixture.SumDbUrl, "--sumdb-key", fixture.VerifierKey);
        Assert.True(verify.ExitCode == 0, verify.StandardError + verify.StandardOutput);

        // A go.sum that says otherwise is named.
        var goSum = Path.Combine(main, "go.sum");
        await File.WriteAllTextAsync(goSum, (await File.ReadAllTextAsync(goSum)).Replace(lines[0].Split(' ')[2], "h1:" + new string('A', 43) + "=", StringComparison.Ordinal));
        var mismatch = await CliRunner.RunAsync(main, "gosum", "verify", main, "--sumdb-url", fixture.SumDbUrl, "--sumdb-key", fixture.VerifierKey);
        Assert.Equal(1, mismatch.ExitCode);
        Assert.Contains("gosum.sumdb.hash-mismatch", mismatch.StandardError, StringComparison.Ordinal);
        Assert.Contains($"{module.Path}@{module.Version}: checksum mismatch", mismatch.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gosum_audit_replays_the_served_database_and_its_database_file()
    {
        var module = new ModuleVersion("corp.example/cli/audited", "v1.0.0");
        Assert.Equal(201, (await fixture.PublishAsync(module, SumDbServerFixture.SimpleZip(module))).Status);

        var served = await CliRunner.RunAsync(fixture.WorkspacePath, "gosum", "audit", "--url", fixture.SumDbUrl, "--vkey", fixture.VerifierKey);
        Assert.True(served.ExitCode == 0, served.StandardError);
        Assert.Matches(@"^\d+ records, signed tree of size \d+, verified through size \d+\n$", served.StandardOutput);
        var stored = await CliRunner.RunAsync(fixture.WorkspacePath, "gosum", "audit", "--db", Path.Combine(fixture.DataDirectory, "ledger.db"), "--vkey", fixture.VerifierKey);
        Assert.True(stored.ExitCode == 0, stored.StandardError);

        // Another key (say, an impostor's database) is refused.
        var impostor = new Attest.Core.Transparency.Ed25519NoteSigner(SumDbServerFixture.Name, Attest.Core.Crypto.Ed25519.GenerateSeed()).VerifierKey.ToString();
        var wrongKey = await CliRunner.RunAsync(fixture.WorkspacePath, "gosum", "audit", "--url", fixture.SumDbUrl, "--vkey", impostor);
        Assert.Equal(1, wrongKey.ExitCode);
        Assert.Contains("gosum.sumdb.note-unverified", wrongKey.StandardError, StringComparison.Ordinal);
        var badKey = await CliRunner.RunAsync(fixture.WorkspacePath, "gosum", "audit", "--url", fixture.SumDbUrl, "--vkey", "not-a-key");
        Assert.Equal(2, badKey.ExitCode);
    }

    private async Task<string> CredentialsFileAsync(string directory)
    {
        var ci = await fixture.Server.CreateClientAsync(fixture.DataDirectory, "cli-publisher", "sign");
        var path = Path.Combine(directory, "ci.json");
        await File.WriteAllTextAsync(path, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["client_id"] = ci.ClientId, ["client_secret"] = ci.ClientSecret }));
        return path;
    }
}

/// <summary>A database rewritten behind the server's back: its own server, so the other tests keep an intact one.</summary>
public sealed class SumDbTamperTests
{
    [Fact]
    public async Task Gosum_audit_names_a_record_rewritten_in_the_database_from_the_file_and_from_the_served_tiles()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start("--Attest:SumDb:Name=attest.test/tamper", "--Attest:SumDb:Patterns=corp.example").WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "sign");
        using var keyBody = System.Text.Json.JsonDocument.Parse(await server.Client.GetStringAsync("v1/sumdb/verifier-key"));
        var key = keyBody.RootElement.GetProperty("verifierKey").GetString()!;
        var url = new Uri(server.BaseUri, "sumdb").AbsoluteUri;
        for (var i = 0; i < 5; i++)
        {
            var module = new ModuleVersion($"corp.example/t{i}", "v1.0.0");
            using var form = new MultipartFormDataContent();
            form.Add(new StringContent(module.Path), "module");
            form.Add(new StringContent(module.Version), "version");
            form.Add(new ByteArrayContent(SumDbServerFixture.SimpleZip(module)), "zip", "m.zip");
            using var response = await server.SendAsync(HttpMethod.Post, "v1/gosum/modules", token, form);
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        }
        var db = Path.Combine(workspace.DataDirectory, "ledger.db");
        Assert.Equal(0, (await CliRunner.RunAsync(workspace.Path, "gosum", "audit", "--url", url, "--vkey", key)).ExitCode);

        // Someone with the database file rewrites record 3 to vouch for other content.
        var forgedHash = "h1:" + new string('F', 43) + "=";
        await using (var connection = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync("PRAGMA busy_timeout=5000; DROP TRIGGER sumdb_records_no_update;");
            var text = await connection.QuerySingleAsync<byte[]>("SELECT record FROM sumdb_records WHERE idx = 3");
            var lines = System.Text.Encoding.UTF8.GetString(text).Split('\n');
            var forged = $"{string.Join(' ', lines[0].Split(' ')[..2])} {forgedHash}\n{lines[1]}\n";
            await connection.ExecuteAsync("UPDATE sumdb_records SET record = @forged WHERE idx = 3", new { forged = System.Text.Encoding.UTF8.GetBytes(forged) });
        }

        var fromFile = await CliRunner.RunAsync(workspace.Path, "gosum", "audit", "--db", db, "--vkey", key);
        Assert.Equal(1, fromFile.ExitCode);
        Assert.Contains("first bad index 3", fromFile.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("corp.example/t3@v1.0.0", fromFile.StandardError, StringComparison.Ordinal);

        var fromTiles = await CliRunner.RunAsync(workspace.Path, "gosum", "audit", "--url", url, "--vkey", key);
        Assert.Equal(1, fromTiles.ExitCode);
        Assert.Contains("first bad index 3", fromTiles.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("record 3 (corp.example/t3@v1.0.0) does not hash to its leaf", fromTiles.StandardError, StringComparison.Ordinal);
    }
}
