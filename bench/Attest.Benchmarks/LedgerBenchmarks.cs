using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Ledger;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>
/// Group-commit throughput on a real SQLite file (WAL, synchronous=FULL): W concurrent writers, each awaiting
/// its own appends one after another. Time per operation = time per acknowledged (durable) append.
/// Run: dotnet run -c Release --project bench/Attest.Benchmarks -- --filter '*LedgerAppend*' --launchCount 1 --warmupCount 1 --iterationCount 5
/// (add --inProcess on a loaded machine: BenchmarkDotNet's separate build can exceed its 2-minute timeout)
/// </summary>
[MemoryDiagnoser]
public class LedgerAppendBenchmarks
{
    private const int AppendsPerInvoke = 8192;
    private string _dir = "";
    private SqliteLedgerStore? _store;
    private AuditLedger? _ledger;

    [Params(1, 8, 64)]
    public int Writers { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _dir = Directory.CreateTempSubdirectory("attest-bench-append-").FullName;
        _store = await SqliteLedgerStore.OpenAsync(Path.Combine(_dir, "ledger.db"));
        _ledger = await AuditLedger.OpenAsync(_store, new AuditLedgerOptions { Origin = "bench", CheckpointEveryEntries = 100_000, CheckpointInterval = TimeSpan.FromHours(1) },
            [new Ed25519NoteSigner("bench", Ed25519.GenerateSeed())], TimeProvider.System);
    }

    [Benchmark(OperationsPerInvoke = AppendsPerInvoke)]
    public Task Append() => Task.WhenAll(Enumerable.Range(0, Writers).Select(async w =>
    {
        for (var i = 0; i < AppendsPerInvoke / Writers; i++)
            await _ledger!.AppendAsync(BenchData.Decision(w * 1_000_000 + i));
    }));

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        var size = await _store!.GetSizeAsync();
        await _ledger!.DisposeAsync();
        await _store.DisposeAsync();
        var bytes = new DirectoryInfo(_dir).EnumerateFiles().Sum(f => f.Length);
        Console.WriteLine($"// ledger: {size} entries, {bytes} bytes on disk, {bytes / Math.Max(1, size)} bytes per entry");
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
        var bytesOnDisk = new DirectoryInfo(_dir).EnumerateFiles().Sum(f => f.Length);
        Console.WriteLine($"// ledger: {Entries} entries, {bytesOnDisk} bytes on disk, {bytesOnDisk / Entries} bytes per entry");
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
