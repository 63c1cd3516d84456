using System.Text.Json;
using Attest.Core.Transparency;
using Attest.Testing;

namespace Attest.Ledger.Tests;

public class LedgerCliTests
{
    [Fact]
    public async Task Cli_appends_proves_and_verifies_then_names_the_tampered_index_with_exit_1()
    {
        using var dir = new TempDirectory("attest-cli");
        var db = dir.Combine("ledger.db");
        var key = dir.Combine("key.txt");
        var keygen = await AttestCli.RunAsync("ledger", "keygen", "--name", "attest.test/cli", "--out", key);
        Assert.Equal(0, keygen.ExitCode);
        var vkey = keygen.Output.Trim();
        Assert.True(NoteVerifierKey.TryParse(vkey, out _, out _), vkey);

        await File.WriteAllLinesAsync(dir.Combine("in.jsonl"), Enumerable.Range(0, 5).Select(i => $$"""{"event":{{i}}}"""));
        var jsonl = await AttestCli.RunAsync("ledger", "append", "--db", db, "--key", key, "--jsonl", dir.Combine("in.jsonl"));
        Assert.Equal(0, jsonl.ExitCode);
        Assert.Equal(5, jsonl.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var single = await AttestCli.RunAsync("ledger", "append", "--db", db, "--key", key, "--json", """{"text":"signing key rotated"}""");
        Assert.Equal(0, single.ExitCode);
        Assert.StartsWith("5\t", single.Output, StringComparison.Ordinal);

        var verify = await AttestCli.RunAsync("ledger", "verify", "--db", db, "--vkey", vkey);
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains("6 entries, 2 checkpoints, verified through size 6", verify.Output, StringComparison.Ordinal);

        var prove = await AttestCli.RunAsync("ledger", "prove", "--db", db, "--index", "2");
        Assert.Equal(0, prove.ExitCode);
        using (var proof = JsonDocument.Parse(prove.Output))
        {
            var p = proof.RootElement;
            Assert.True(Checkpoint.TryOpen(System.Text.Encoding.UTF8.GetBytes(p.GetProperty("checkpoint").GetString()!), "attest.test/cli",
                [NoteVerifierKey.Parse(vkey)], out var checkpoint, out _));
            var inclusion = new InclusionProof(2, checkpoint.Size, [.. p.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!))]);
            var leaf = MerkleHash.Leaf(System.Text.Encoding.UTF8.GetBytes(p.GetProperty("entry").GetString()!));
            Assert.True(inclusion.Verify(leaf, checkpoint.RootHash).IsValid);
        }

        await using (var fx = new TamperHandle(db))
            await fx.RunAsync("""DROP TRIGGER entries_no_update; UPDATE entries SET body = CAST(replace(body, '"note"', '"nope"') AS BLOB) WHERE idx = 3""");
        var tampered = await AttestCli.RunAsync("ledger", "verify", "--db", db, "--vkey", vkey);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("first bad index 3", tampered.Output, StringComparison.Ordinal);
        Assert.Contains(LedgerCodes.EntryLeafHashMismatch, tampered.Error, StringComparison.Ordinal);

        var badKey = await AttestCli.RunAsync("ledger", "verify", "--db", db, "--vkey", "not-a-key");
        Assert.Equal(2, badKey.ExitCode);
    }

    /// <summary>Raw SQL against the file, as an attacker with the file would run it.</summary>
    private sealed class TamperHandle(string path) : IAsyncDisposable
    {
        public async Task RunAsync(string sql)
        {
            await using var store = await SqliteLedgerStore.OpenAsync(path); // initialises the SQLite provider
            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        public ValueTask DisposeAsync()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            return ValueTask.CompletedTask;
        }
    }
}
