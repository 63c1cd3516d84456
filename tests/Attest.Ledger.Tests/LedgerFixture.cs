using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Testing;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Attest.Ledger.Tests;

/// <summary>A real SQLite ledger file in a temp directory, its signing key, and attacker-style raw access.</summary>
internal sealed class LedgerFixture : IAsyncDisposable
{
    public const string Origin = "attest.test/ledger";
    private readonly TempDirectory _dir = new("attest-ledger");

    public LedgerFixture()
    {
        Path = _dir.Combine("ledger.db");
        Signer = new Ed25519NoteSigner(Origin, Ed25519.GenerateSeed());
    }

    public string Path { get; }

    /// <summary>A path beside the ledger file, as the server keeps its high-water mark beside its keys.</summary>
    public string Combine(string name) => _dir.Combine(name);

    public NoteSigner Signer { get; }

    public LedgerAuditOptions AuditOptions => new(Origin, [Signer.VerifierKey]);

    public async Task<AuditLedger> OpenAsync(int checkpointEvery = 1_000_000, TimeSpan? interval = null, TimeProvider? time = null,
        int maxPendingAppends = LedgerLimits.MaxPendingAppends, CheckpointHighWaterMark? highWaterMark = null)
    {
        var store = await SqliteLedgerStore.OpenAsync(Path);
        return await AuditLedger.OpenAsync(store, new AuditLedgerOptions
        {
            Origin = Origin,
            CheckpointEveryEntries = checkpointEvery,
            CheckpointInterval = interval ?? TimeSpan.FromHours(1),
            MaxPendingAppends = maxPendingAppends,
            HighWaterMark = highWaterMark,
        }, [Signer], time ?? TimeProvider.System);
    }

    public static LedgerEntry Decision(int i) =>
        LedgerEntry.AdmissionDecision($"registry.example/app:{i}", $"sha256:{i:x64}", "prod", i % 3 == 0 ? "deny" : "allow");

    public static async Task<List<long>> AppendSequentiallyAsync(AuditLedger ledger, int count, int offset = 0)
    {
        var indexes = new List<long>();
        for (var i = 0; i < count; i++) indexes.Add(await ledger.AppendAsync(Decision(offset + i)));
        return indexes;
    }

    public async Task<LedgerAuditReport> AuditAsync()
    {
        await using var store = await SqliteLedgerStore.OpenAsync(Path);
        return await LedgerAuditor.AuditAsync(store, AuditOptions);
    }

    /// <summary>What an attacker with the file does: open it directly, drop the triggers, run SQL.</summary>
    public async Task TamperAsync(string sql, object? parameters = null)
    {
        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection($"Data Source={Path}");
        await connection.OpenAsync();
        foreach (var trigger in new[] { "entries_no_update", "entries_no_delete", "checkpoints_no_update", "checkpoints_no_delete", "checkpoint_head_forward_only" })
            await connection.ExecuteAsync($"DROP TRIGGER IF EXISTS {trigger}");
        await connection.ExecuteAsync(sql, parameters);
        SqliteConnection.ClearAllPools();
    }

    public async Task<T> QueryScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new SqliteConnection($"Data Source={Path}");
        await connection.OpenAsync();
        return await connection.ExecuteScalarAsync<T>(sql, parameters) ?? throw new InvalidOperationException("no value");
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }
}
