using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Attest.GoModules;
using Attest.GoModules.SumDb;
using Attest.Ledger;
using Attest.Ledger.SumDb;
using Attest.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Attest.Server.SumDb;

/// <summary>The checksum database once start-up has opened it: the log and, when configured, the upstream proxy.</summary>
public sealed class SumDbHolder : IAsyncDisposable
{
    public SumDbLog? Log { get; set; }

    public GoProxyClient? Upstream { get; set; }

    public async ValueTask DisposeAsync()
    {
        if (Log is null) return;
        await Log.DisposeAsync().ConfigureAwait(false);
        await Log.Store.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>The outcome of publishing a record: what the log did, and the audit-ledger entry that recorded it (none
/// when the same record was already there).</summary>
public sealed record PublishOutcome(SumDbAddResult Result, SumDbRecord Recorded, long? LedgerIndex);

/// <summary>A lookup's outcome: the record with a signed tree head covering it, or why there is none.</summary>
public sealed record LookupOutcome(LookupStatus Status, SumDbRow? Row = null, StoredCheckpoint? Head = null, string? Reason = null);

public enum LookupStatus
{
    Found,
    NotCovered,
    NotFound,
    UpstreamFailed,
    Busy,
}

/// <summary>The audit ledger refused the entry for a change the checksum database made (the record stands).</summary>
public sealed class AuditEntryFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The checksum database's decisions: records come only from module content Attest hashed itself (an upload, or a
/// zip fetched from the configured upstream on a lookup miss); the first record of a module version is final; every
/// record added, and every refused attempt to change one, is also an audit-ledger entry (<c>gosum.record</c>,
/// <c>gosum.conflict</c>) naming the module version, the hashes and who offered them.
/// </summary>
public sealed class SumDbService(SumDbHolder holder, AuditLedger ledger, IOptions<SumDbOptions> options, TimeProvider time, ILogger<SumDbService> logger)
{
    /// <summary>The audit ledger's client name for records fetched from the upstream proxy (client ids look like attest-…).</summary>
    public const string UpstreamClient = "upstream";

    /// <summary>Upstream fetches in flight at once; more wait (each can move a module zip of up to 500 MiB).</summary>
    private const int MaxConcurrentFetches = 4;

    /// <summary>Distinct module versions waiting for an upstream fetch; past it, lookups of others are 503 (a flood of
    /// lookups of made-up versions must not queue without bound).</summary>
    private const int MaxPendingFetches = 64;

    /// <summary>How long the upstream's "not found" for a version is remembered, so repeated lookups do not hammer it.</summary>
    public static readonly TimeSpan MissTtl = TimeSpan.FromMinutes(1);

    private const int MaxRememberedMisses = 10_000;

    private readonly SumDbOptions _options = options.Value;
    private readonly ConcurrentDictionary<ModuleVersion, Lazy<Task<LookupOutcome>>> _fetches = new();
    private readonly SemaphoreSlim _fetchGate = new(MaxConcurrentFetches);
    private readonly ConcurrentDictionary<ModuleVersion, DateTimeOffset> _misses = new();

    public SumDbOptions Options => _options;

    public SumDbLog Log => holder.Log ?? throw new InvalidOperationException("the checksum database is not open");

    /// <summary>Adds the record of module content Attest hashed, and records the addition or the refused change in the
    /// audit ledger. <paramref name="zipDigest"/> names the exact bytes hashed (sha256:…).</summary>
    public async Task<PublishOutcome> PublishAsync(SumDbRecord record, string client, string source, string zipDigest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var module = record.Module;
        var result = await Log.AddAsync(module.Path, module.Version, record.TextBytes, cancellationToken).ConfigureAwait(false);
        var recorded = Parse(result.Row, module);
        if (result.Outcome == SumDbAddOutcome.Existing) return new PublishOutcome(result, recorded, null);

        var details = new JsonObject
        {
            ["module"] = module.Path,
            ["version"] = module.Version,
            ["recordId"] = result.Row.Index,
            ["source"] = source,
        };
        if (source == UpstreamClient && holder.Upstream is { } upstream) details["upstream"] = upstream.BaseUrl.AbsoluteUri;
        LedgerEntry entry;
        if (result.Outcome == SumDbAddOutcome.Added)
        {
            details["hash"] = record.Hash;
            details["goModHash"] = record.GoModHash;
            details["treeSize"] = result.Checkpoint.Size;
            entry = new LedgerEntry
            {
                Kind = LedgerEntryKinds.GoSumRecord, Client = client, Image = module.ToString(), Digest = zipDigest, Verdict = "recorded",
                Details = LedgerEntry.DetailsFrom(details),
            };
        }
        else
        {
            details["recordedHash"] = recorded.Hash;
            details["recordedGoModHash"] = recorded.GoModHash;
            details["offeredHash"] = record.Hash;
            details["offeredGoModHash"] = record.GoModHash;
            details["uploader"] = client;
            details["recordedBy"] = await RecordedByAsync(module, cancellationToken).ConfigureAwait(false);
            entry = new LedgerEntry
            {
                Kind = LedgerEntryKinds.GoSumConflict, Client = client, Image = module.ToString(), Digest = zipDigest, Verdict = "refused",
                Details = LedgerEntry.DetailsFrom(details),
            };
            SumDbEvents.ConflictRefused(logger, module.ToString(), recorded.Hash, record.Hash, client);
        }
        var audit = ledger;
        try
        {
            return new PublishOutcome(result, recorded, await audit.AppendAsync(entry, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new AuditEntryFailedException($"the checksum database {(result.Outcome == SumDbAddOutcome.Added ? "recorded" : "refused")} {module} " +
                $"(record {result.Row.Index}), but the audit ledger did not take the entry: {e.Message}", e);
        }
    }

    /// <summary>The record of a module version: from the log, or (on a miss, when an upstream is configured) fetched,
    /// hashed and recorded first. Concurrent lookups of one missing version share one fetch.</summary>
    public async Task<LookupOutcome> LookupAsync(ModuleVersion module, CancellationToken cancellationToken)
    {
        if (!_options.Covers(module.Path))
            return new LookupOutcome(LookupStatus.NotCovered, Reason: $"{module.Path} is not a module path this checksum database serves (Attest:SumDb:Patterns)");
        if (await Log.FindAsync(module.Path, module.Version, cancellationToken).ConfigureAwait(false) is { } found)
            return new LookupOutcome(LookupStatus.Found, found.Row, found.Head);
        if (holder.Upstream is null)
            return new LookupOutcome(LookupStatus.NotFound, Reason: $"{module} has not been published to this checksum database (POST /v1/gosum/modules or attest gosum publish)");
        if (_misses.TryGetValue(module, out var until) && time.GetUtcNow() < until)
            return new LookupOutcome(LookupStatus.NotFound, Reason: $"{module} has not been published, and the upstream module proxy does not have it");
        if (_fetches.Count >= MaxPendingFetches && !_fetches.ContainsKey(module))
            return new LookupOutcome(LookupStatus.Busy, Reason: $"{MaxPendingFetches} module versions are being fetched from the upstream module proxy; retry shortly");
        var fetch = _fetches.GetOrAdd(module, m => new Lazy<Task<LookupOutcome>>(() => FetchAsync(m)));
        // The fetch is shared and outlives a caller that gives up; it is bounded by the HTTP client's timeout.
        return await fetch.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<LookupOutcome> FetchAsync(ModuleVersion module)
    {
        await _fetchGate.WaitAsync().ConfigureAwait(false);
        var scratch = Directory.CreateTempSubdirectory("attest-sumdb-");
        try
        {
            var upstream = holder.Upstream!;
            var zipPath = Path.Combine(scratch.FullName, "module.zip");
            var fetched = await upstream.FetchZipAsync(module, zipPath, CancellationToken.None).ConfigureAwait(false);
            if (fetched.Status == GoProxyFetchStatus.NotFound)
            {
                if (_misses.Count >= MaxRememberedMisses) _misses.Clear();
                _misses[module] = time.GetUtcNow() + MissTtl;
                return new LookupOutcome(LookupStatus.NotFound, Reason: $"{module} has not been published, and the upstream module proxy does not have it");
            }
            if (fetched.Status == GoProxyFetchStatus.Failed)
                return new LookupOutcome(LookupStatus.UpstreamFailed, Reason: $"{module} could not be fetched from the upstream module proxy: {fetched.Reason}");
            SumDbRecord? record;
            IReadOnlyList<Attest.Core.Finding> findings;
            string digest;
            await using (var zip = File.OpenRead(zipPath))
            {
                digest = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(zip).ConfigureAwait(false));
                zip.Position = 0;
                (record, findings) = SumDbRecord.FromZip(zip, module, GoModulesLimits.Default, upstream.ZipUrl(module).AbsolutePath);
            }
            if (record is null)
                return new LookupOutcome(LookupStatus.UpstreamFailed,
                    Reason: $"the upstream module proxy's zip of {module} is not a valid module zip: {findings.FirstOrDefault(f => !GoSumCodes.IsWarning(f.Code))?.Message}");
            var published = await PublishAsync(record, UpstreamClient, UpstreamClient, digest, CancellationToken.None).ConfigureAwait(false);
            // A conflict here means someone published first: their record stands and is the answer.
            return new LookupOutcome(LookupStatus.Found, published.Result.Row, published.Result.Checkpoint);
        }
        finally
        {
            _fetchGate.Release();
            _fetches.TryRemove(module, out _);
            try
            {
                scratch.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A scratch directory left behind is harmless.
            }
        }
    }

    /// <summary>Who published the record that stands (the client of its gosum.record entry), for a conflict entry.</summary>
    private async Task<string?> RecordedByAsync(ModuleVersion module, CancellationToken cancellationToken)
    {
        var store = ledger.Store;
        var entries = await store.QueryAsync(new LedgerQuery { Kind = LedgerEntryKinds.GoSumRecord, Image = module.ToString(), Limit = 1 }, cancellationToken).ConfigureAwait(false);
        return entries.Count > 0 && LedgerEntryCodec.TryParse(entries[0].Body, out var parsed, out _) ? parsed.Entry.Client : null;
    }

    /// <summary>The record a row holds, read back with the module it is keyed by.</summary>
    public static SumDbRecord Parse(SumDbRow row, ModuleVersion module) =>
        SumDbRecord.TryParse(Encoding.UTF8.GetString(row.Text), module, out var record, out var error)
            ? record!
            : throw new LedgerCorruptException($"checksum database record {row.Index} of {module} is malformed: {error}");
}

internal static partial class SumDbEvents
{
    [LoggerMessage(EventId = LogEvents.SumDbOpened, Level = LogLevel.Information, Message = "Checksum database {Name} in {Location}: {Size} records; the go command verifies it with GOSUMDB=\"{VerifierKey} <this server's URL>/sumdb\"")]
    public static partial void Opened(ILogger logger, string name, string location, long size, string verifierKey);

    [LoggerMessage(EventId = LogEvents.SumDbRecordRefused, Level = LogLevel.Warning, Message = "Checksum database refused a different record for {Module}: recorded {RecordedHash}, offered {OfferedHash} by {Client}")]
    public static partial void ConflictRefused(ILogger logger, string module, string recordedHash, string offeredHash, string client);
}
