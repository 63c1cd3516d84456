using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Ledger;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Attest.Benchmarks;

/// <summary>
/// Group-commit throughput: W concurrent writers, each awaiting its own appends one after another. Time per
/// operation = time per acknowledged (durable) append. SQLite: a real file (WAL, synchronous=FULL). PostgreSQL:
/// only when ATTEST_BENCH_POSTGRES holds an Npgsql connection string to a server whose role may CREATE DATABASE
/// (each run uses a fresh database and drops it); measure against a server with fsync=on and synchronous_commit=on,
/// the defaults (the test rig's server runs with fsync=off and would overstate it).
/// Bytes stored per entry are printed at cleanup (SQLite: the database file after a WAL checkpoint; PostgreSQL:
/// pg_total_relation_size of entries, with its indexes and TOAST).
/// Run: dotnet run -c Release --project bench/Attest.Benchmarks -- --filter '*LedgerAppend*' --launchCount 1 --warmupCount 1 --iterationCount 5
/// (add --inProcess on a loaded machine: BenchmarkDotNet's separate build can exceed its 2-minute timeout)
/// </summary>
[MemoryDiagnoser]
public class LedgerAppendBenchmarks
{
    public const string PostgresVariable = "ATTEST_BENCH_POSTGRES";
    private const int AppendsPerInvoke = 1024; // small enough for one PostgreSQL writer to stay within the in-process time limit
    private string _dir = "";
    private string? _postgresDatabase;
    private ILedgerStore? _store;
    private AuditLedger? _ledger;

    [ParamsSource(nameof(Stores))]
    public string Store { get; set; } = "sqlite";

    [Params(1, 8, 64)]
    public int Writers { get; set; }

    public static IEnumerable<string> Stores() =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PostgresVariable)) ? ["sqlite"] : ["sqlite", "postgres"];

    // Synchronous on purpose: BenchmarkDotNet's in-process toolchain does not wait for a GlobalSetup task that
    // really goes asynchronous (Npgsql does; SQLite completes synchronously), and the benchmark would start first.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _dir = Directory.CreateTempSubdirectory("attest-bench-append-").FullName;
        if (Store == "postgres")
        {
            _postgresDatabase = await BenchPostgres.CreateDatabaseAsync();
            _store = await PostgresLedgerStore.OpenAsync(_postgresDatabase);
        }
        else
        {
            _store = await SqliteLedgerStore.OpenAsync(Path.Combine(_dir, "ledger.db"));
        }
        _ledger = await AuditLedger.OpenAsync(_store, new AuditLedgerOptions { Origin = "bench", CheckpointEveryEntries = 100_000, CheckpointInterval = TimeSpan.FromHours(1) },
            [new Ed25519NoteSigner("bench", Ed25519.GenerateSeed())], TimeProvider.System);
    }

    [Benchmark(OperationsPerInvoke = AppendsPerInvoke)]
    public Task Append() => Task.WhenAll(Enumerable.Range(0, Writers).Select(async w =>
    {
        for (var i = 0; i < AppendsPerInvoke / Writers; i++)
            await _ledger!.AppendAsync(BenchData.Decision(w * 1_000_000 + i));
    }));

    private async Task CleanupAsync()
    {
        var size = await _store!.GetSizeAsync();
        await _ledger!.DisposeAsync();
        await _store.DisposeAsync();
        var bytes = _postgresDatabase is { } database
            ? await BenchPostgres.EntriesBytesAsync(database)
            : BenchSqlite.DatabaseBytes(Path.Combine(_dir, "ledger.db"));
        Console.WriteLine($"// ledger ({Store}): {size} entries, {bytes} bytes stored, {bytes / Math.Max(1, size)} bytes per entry");
        if (_postgresDatabase is not null) await BenchPostgres.DropDatabaseAsync(_postgresDatabase);
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>
/// Reads at scale: inclusion-proof latency in a log of 1,000,000 entries, and full audit replay speed.
/// The log is written straight through the store in large batches so setup stays short.
/// Run: dotnet run -c Release --project bench/Attest.Benchmarks -- --filter '*LedgerRead*' --launchCount 1 --warmupCount 1 --iterationCount 5 --inProcess
/// </summary>
public class LedgerReadBenchmarks
{
    private const int Entries = 1_000_000;
    private string _dir = "";
    private SqliteLedgerStore? _store;
    private LedgerAuditOptions? _trust;
    private readonly Random _random = new(1);

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _dir = Directory.CreateTempSubdirectory("attest-bench-read-").FullName;
        _store = await SqliteLedgerStore.OpenAsync(Path.Combine(_dir, "ledger.db"));
        var range = new CompactRange();
        var now = DateTimeOffset.UnixEpoch;
        for (var start = 0; start < Entries; start += 10_000)
        {
            var rows = new List<LedgerRow>();
            for (var i = start; i < start + 10_000; i++)
            {
                var entry = BenchData.Decision(i);
                var bytes = LedgerEntryCodec.Serialize(i, now, entry);
                var leaf = MerkleHash.Leaf(bytes);
                var completed = new List<byte>();
                range.Append(leaf, (_, hash) => completed.AddRange(hash));
                rows.Add(new LedgerRow(new SequencedEntry(i, now, entry, bytes), leaf, [.. completed]));
            }
            await _store.CommitAsync(start, rows);
        }
        var signer = new Ed25519NoteSigner("bench", Ed25519.GenerateSeed());
        var root = range.Root();
        await _store.TryAdvanceCheckpointAsync(-1, new StoredCheckpoint(Entries, root, new Checkpoint("bench", Entries, root).Sign(signer).ToString()));
        _trust = new LedgerAuditOptions("bench", [signer.VerifierKey]);
        var bytesOnDisk = BenchSqlite.DatabaseBytes(Path.Combine(_dir, "ledger.db"));
        Console.WriteLine($"// ledger (sqlite): {Entries} entries, {bytesOnDisk} bytes stored, {bytesOnDisk / Entries} bytes per entry");
    }

    [Benchmark]
    public Task<InclusionProof> InclusionProofAt1M() => _store!.GetInclusionProofAsync(_random.NextInt64(Entries), Entries);

    [Benchmark]
    public Task<ConsistencyProof> ConsistencyProofAt1M() => _store!.GetConsistencyProofAsync(_random.NextInt64(1, Entries), Entries);

    [Benchmark(OperationsPerInvoke = Entries)]
    public async Task<long> AuditReplay()
    {
        var report = await LedgerAuditor.AuditAsync(_store!, _trust!);
        if (!report.IsValid) throw new InvalidOperationException(string.Join("; ", report.Findings));
        return report.EntriesChecked;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _store!.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

internal static class BenchData
{
    public static LedgerEntry Decision(int i) =>
        LedgerEntry.AdmissionDecision($"registry.example.com/team/app:{i % 1000}", $"sha256:{i:x64}", "prod", i % 7 == 0 ? "deny" : "allow");
}

/// <summary>Bytes a SQLite ledger keeps: the database file once the WAL is checkpointed into it.</summary>
internal static class BenchSqlite
{
    public static long DatabaseBytes(string path)
    {
        SqliteConnection.ClearAllPools();
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            checkpoint.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        return new FileInfo(path).Length;
    }
}

/// <summary>A fresh database per run on the server ATTEST_BENCH_POSTGRES names.</summary>
internal static class BenchPostgres
{
    public static async Task<string> CreateDatabaseAsync()
    {
        var server = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(LedgerAppendBenchmarks.PostgresVariable));
        var name = "attest_bench_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        server.Database = name;
        return server.ConnectionString;
    }

    public static async Task<long> EntriesBytesAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var vacuum = new NpgsqlCommand("VACUUM entries", connection);
        await vacuum.ExecuteNonQueryAsync();
        await using var size = new NpgsqlCommand("SELECT pg_total_relation_size('entries')", connection);
        return (long)(await size.ExecuteScalarAsync())!;
    }

    public static async Task DropDatabaseAsync(string database)
    {
        NpgsqlConnection.ClearAllPools();
        var server = new NpgsqlConnectionStringBuilder(database);
        var name = server.Database;
        server.Database = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(LedgerAppendBenchmarks.PostgresVariable)).Database;
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
