using System.Threading.Channels;
using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>
/// The append-only log over a store: one sequencer task per process takes appends from a queue, commits them in
/// groups (one transaction and one fsync for many concurrent appends), keeps the tree's compact range in memory
/// so each append costs O(log n) hashes, and publishes signed checkpoints every N entries or T of time, each
/// checked consistent with the previous one before it is signed.
/// </summary>
public sealed class AuditLedger : IAsyncDisposable
{
    private readonly ILedgerStore _store;
    private readonly RecentMerkleNodes _recentNodes;
    private readonly AuditLedgerOptions _options;
    private readonly NoteSigner[] _signers;
    private readonly TimeProvider _time;
    private readonly Channel<Work> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private CompactRange _range = new();
    private StoredCheckpoint? _lastCheckpoint;
    private DateTimeOffset _lastCheckpointAt;
    private Task _sequencer = Task.CompletedTask;
    private string? _quarantine;
    private bool _closed;

    private AuditLedger(ILedgerStore store, AuditLedgerOptions options, NoteSigner[] signers, TimeProvider time)
    {
        _store = store;
        _recentNodes = new RecentMerkleNodes(store, RecentNodeEntries);
        _options = options;
        _signers = signers;
        _time = time;
        _queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(options.MaxPendingAppends)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        VerifierKeys = [.. signers.Select(s => s.VerifierKey)];
    }

    public ILedgerStore Store => _store;

    public string Origin => _options.Origin;

    /// <summary>The keys that verify this ledger's checkpoints (give them to auditors).</summary>
    public IReadOnlyList<NoteVerifierKey> VerifierKeys { get; }

    /// <summary>What an audit of this ledger trusts: its origin, current keys and the previous ones of a rotation.</summary>
    public LedgerAuditOptions Trust => new(_options.Origin, [.. VerifierKeys, .. _options.PreviousVerifierKeys]);

    /// <summary>The checkpoint this ledger had verified before it opened (its high-water mark, or else the store's latest
    /// signed checkpoint): everything after it is what a start-up audit still has to replay. Null before any checkpoint.</summary>
    public Checkpoint? OpenedFrom { get; private set; }

    /// <summary>Entries in the log as this process last saw it (for metrics).</summary>
    public long Size => _range.Size;

    /// <summary>Entries the latest checkpoint this process signed or loaded covers (for metrics).</summary>
    public long CheckpointSize => Volatile.Read(ref _lastCheckpoint)?.Size ?? 0;

    /// <summary>Work queued and not yet taken by the sequencer (tests wait on it to know what a batch holds).</summary>
    internal int QueuedWork => _queue.Reader.Count;

    /// <summary>When this process last signed a checkpoint, or opened the ledger (for metrics: a checkpoint older than
    /// the checkpoint interval while entries wait means signing is stuck).</summary>
    public DateTimeOffset CheckpointSignedAt => new(Interlocked.Read(ref _checkpointSignedAtTicks), TimeSpan.Zero);

    private long _checkpointSignedAtTicks;

    /// <summary>Why checkpoints are no longer signed (an audit found the log altered), or null.</summary>
    public string? Quarantine => Volatile.Read(ref _quarantine);

    /// <summary>Stops signing checkpoints: a log an audit found altered must not be vouched for further. Appends go on
    /// (nothing is lost); checkpoint requests fail with the reason.</summary>
    public void StopSigning(string reason) => Interlocked.CompareExchange(ref _quarantine, reason, null);

    /// <summary>Loads the tree state from the store and starts the sequencer.</summary>
    public static async Task<AuditLedger> OpenAsync(ILedgerStore store, AuditLedgerOptions options, IReadOnlyList<NoteSigner> signers, TimeProvider time,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(signers);
        ArgumentNullException.ThrowIfNull(time);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        if (signers.Count == 0) throw new ArgumentException("the ledger needs at least one checkpoint signer", nameof(signers));
        var ledger = new AuditLedger(store, options, [.. signers], time);
        await ledger.ReloadAsync(cancellationToken).ConfigureAwait(false);
        ledger.OpenedFrom = ledger._openedFrom;
        ledger._lastCheckpointAt = time.GetUtcNow();
        ledger._checkpointSignedAtTicks = ledger._lastCheckpointAt.UtcTicks;
        ledger._sequencer = Task.Run(ledger.RunAsync, CancellationToken.None);
        return ledger;
    }

    /// <summary>Appends one entry. Returns its index only once the entry is durable in the store. Invalid entries
    /// fail here, before they are queued; one over the size limit fails alone, without an index.</summary>
    public async Task<long> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken = default) =>
        (await EnqueueAsync(entry, wantsCheckpoint: false, cancellationToken).ConfigureAwait(false)).Entry.Index;

    /// <summary>Appends one entry and returns it as sequenced (its exact leaf bytes) with a signed checkpoint that
    /// covers it, in one pass of the sequencer: appends that ask together share one commit and one checkpoint. This is
    /// what a transparency-log client needs to build an inclusion proof (<see cref="GetInclusionProofAsync"/>).</summary>
    public async Task<(SequencedEntry Entry, StoredCheckpoint Checkpoint)> AppendWithCheckpointAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
    {
        var (sequenced, checkpoint) = await EnqueueAsync(entry, wantsCheckpoint: true, cancellationToken).ConfigureAwait(false);
        return (sequenced, checkpoint!);
    }

    private async Task<(SequencedEntry Entry, StoredCheckpoint? Checkpoint)> EnqueueAsync(LedgerEntry entry, bool wantsCheckpoint, CancellationToken cancellationToken)
    {
        // Serialized here, on the caller's thread, so the one sequencer only splices in index and time.
        var prepared = LedgerEntryCodec.Prepare(entry);
        var work = new AppendWork(entry, prepared, wantsCheckpoint,
            new TaskCompletionSource<(SequencedEntry, StoredCheckpoint?)>(TaskCreationOptions.RunContinuationsAsynchronously));
        // Pushback, as Tessera's ErrPushback: a full queue answers now, so the caller can answer its own caller
        // (deny, 503 with Retry-After) instead of sitting out its deadline behind thousands of appends.
        using var activity = LedgerTelemetry.Source.StartActivity("ledger.append");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!_queue.Writer.TryWrite(work))
        {
            if (Volatile.Read(ref _closed)) throw new ObjectDisposedException(nameof(AuditLedger), "the ledger is closed");
            LedgerTelemetry.PushedBack();
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, LedgerBusyException.Code);
            throw new LedgerBusyException(_options.MaxPendingAppends);
        }
        try
        {
            var appended = await work.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            LedgerTelemetry.Appended(started, succeeded: true);
            activity?.SetTag("attest.ledger.index", appended.Item1.Index);
            return appended;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LedgerTelemetry.Appended(started, succeeded: false);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.GetType().Name);
            throw;
        }
    }

    /// <summary>Publishes a checkpoint for everything appended so far (or returns the current one if nothing is
    /// new). Null only for an empty log.</summary>
    public async Task<StoredCheckpoint?> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        var work = new CheckpointWork(new TaskCompletionSource<StoredCheckpoint?>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        return await work.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<StoredCheckpoint?> GetLatestCheckpointAsync(CancellationToken cancellationToken = default) =>
        _store.GetLatestCheckpointAsync(cancellationToken);

    /// <summary>An inclusion proof from the nodes this ledger keeps in memory where it has them (those of the entries it
    /// appended lately: what a caller asks for right after its append), and from the store for the rest. Consistency
    /// proofs below come the same way.</summary>
    public Task<InclusionProof> GetInclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken = default) =>
        _recentNodes.GetInclusionProofAsync(index, treeSize, cancellationToken);

    /// <summary>Entries whose Merkle nodes are kept in memory (about 7 MB, allocated once).</summary>
    private const int RecentNodeEntries = 1 << RecentMerkleNodes.HighLevel;

    public Task<ConsistencyProof> GetConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken = default) =>
        _recentNodes.GetConsistencyProofAsync(size1, size2, cancellationToken);

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Work>(_options.MaxBatchEntries);
        while (true)
        {
            bool more;
            try
            {
                more = await WaitForWorkOrCheckpointDueAsync(reader).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                more = false;
            }
            if (!more) break;

            batch.Clear();
            var appends = Drain(reader, batch, 0);
            // Group commit works only if concurrent appends land in the same batch. Appenders woken by the previous
            // commit are still queuing theirs: give them the thread pool while they keep arriving (bounded), rather
            // than commit a fraction of them and make the rest wait a whole fsync.
            for (var round = 0; round < MaxGatherRounds && appends > 0 && appends < _options.MaxBatchEntries; round++)
            {
                await Task.Yield();
                var before = appends;
                appends = Drain(reader, batch, appends);
                if (appends == before) break;
            }
            if (batch.Count == 0)
            {
                await TryPublishAsync(dueOnly: true).ConfigureAwait(false);
                continue;
            }
            var committing = System.Diagnostics.Stopwatch.GetTimestamp();
            var awaiting = await CommitAsync([.. batch.OfType<AppendWork>()]).ConfigureAwait(false);
            LedgerTelemetry.Committed(committing, appends);
            var requested = batch.OfType<CheckpointWork>().ToList();
            var published = await TryPublishAsync(dueOnly: requested.Count == 0 && awaiting.Count == 0).ConfigureAwait(false);
            foreach (var request in requested)
            {
                if (published.Error is { } error) request.Done.TrySetException(error);
                else request.Done.TrySetResult(_lastCheckpoint);
            }
            foreach (var (work, sequenced) in awaiting)
            {
                if (published.Error is { } error) work.Done.TrySetException(error);
                else if (_lastCheckpoint is { } checkpoint && checkpoint.Size > sequenced.Index) work.Done.TrySetResult((sequenced, checkpoint));
                else work.Done.TrySetException(new InvalidOperationException($"no checkpoint covers entry {sequenced.Index}"));
            }
        }
        // Shutting down: fail whatever is still queued rather than leave callers waiting.
        while (reader.TryRead(out var left))
        {
            var disposed = new ObjectDisposedException(nameof(AuditLedger));
            if (left is AppendWork a) a.Done.TrySetException(disposed);
            else if (left is CheckpointWork c) c.Done.TrySetException(disposed);
        }
    }

    /// <summary>Commits a batch retries after another replica appended first. Replicas that all write take turns under
    /// the sequencer lock, so a batch may lose several times in a row under load; each retry costs one reload.</summary>
    private const int MaxConflictRetries = 32;

    /// <summary>Thread-pool turns the sequencer gives arriving appends before it commits a batch.</summary>
    private const int MaxGatherRounds = 8;

    /// <summary>Moves queued work into the batch until it holds the most appends one transaction takes.</summary>
    private int Drain(ChannelReader<Work> reader, List<Work> batch, int appends)
    {
        while (appends < _options.MaxBatchEntries && reader.TryRead(out var work))
        {
            batch.Add(work);
            if (work is AppendWork) appends++;
        }
        return appends;
    }

    /// <summary>True when work is queued or a time-based checkpoint is due; false when the ledger is closing.</summary>
    private async Task<bool> WaitForWorkOrCheckpointDueAsync(ChannelReader<Work> reader)
    {
        if (reader.TryPeek(out _)) return true; // under load: no timer per batch
        if (_lastCheckpoint?.Size == _range.Size || _range.Size == 0)
            return await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false);
        var remaining = _lastCheckpointAt + _options.CheckpointInterval - _time.GetUtcNow();
        if (remaining <= TimeSpan.Zero) return true;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var wait = reader.WaitToReadAsync(timer.Token).AsTask();
        var delay = Task.Delay(remaining, _time, timer.Token);
        var first = await Task.WhenAny(wait, delay).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        if (first == wait) return await wait.ConfigureAwait(false);
        _stopping.Token.ThrowIfCancellationRequested();
        return true;
    }

    /// <summary>Commits the batch; returns the committed appends that wait for a checkpoint.</summary>
    private async Task<List<(AppendWork Work, SequencedEntry Entry)>> CommitAsync(List<AppendWork> appends)
    {
        var awaiting = new List<(AppendWork, SequencedEntry)>();
        if (appends.Count == 0) return awaiting;
        if (_store is ISequencedLedgerStore sequencedStore) return await CommitInTurnAsync(sequencedStore, appends).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            var batch = Build(appends, _range);
            if (batch.Rows.Count == 0) return awaiting;
            try
            {
                await _store.CommitAsync(batch.Start, batch.Rows, _stopping.Token).ConfigureAwait(false);
                _range = batch.Range;
                foreach (var row in batch.Rows) _recentNodes.Committed(row);
                return Complete(batch);
            }
            catch (Exception e)
            {
                // Another process appended: continue from its tree and try again. Anything else (the database went
                // away, the outcome of the commit is unknown) fails the batch; reloading re-syncs with what the
                // store holds, and if the store is still away the next commit finds out the same way.
                var retry = e is LedgerConflictException && attempt < MaxConflictRetries;
                try
                {
                    await ReloadAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception reload)
                {
                    if (retry) e = reload;
                    retry = false;
                }
                if (retry) continue;
                foreach (var a in appends) a.Done.TrySetException(e);
                return awaiting;
            }
        }
    }

    /// <summary>A store shared by replicas: the batch is built inside the store's turn (under its sequencer lock) at the
    /// size the log has then, catching up first with what other replicas appended, so it never loses a race and retries.</summary>
    private async Task<List<(AppendWork Work, SequencedEntry Entry)>> CommitInTurnAsync(ISequencedLedgerStore store, List<AppendWork> appends)
    {
        Batch? batch = null;
        try
        {
            await store.CommitInTurnAsync(async (size, cancellationToken) =>
            {
                if (size != _range.Size)
                    _range = CompactRange.FromFrontier(size, await _store.ReadNodesAsync(CompactRange.FrontierIds(size), cancellationToken).ConfigureAwait(false));
                batch = Build(appends, _range);
                return batch.Rows;
            }, _stopping.Token).ConfigureAwait(false);
            if (batch is null || batch.Rows.Count == 0) return [];
            _range = batch.Range;
            foreach (var row in batch.Rows) _recentNodes.Committed(row);
            return Complete(batch);
        }
        catch (Exception e)
        {
            // The outcome is unknown (the database went away mid-commit): fail the batch and re-sync with the store.
            try
            {
                await ReloadAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception reload) when (reload is not OperationCanceledException)
            {
            }
            foreach (var a in appends) a.Done.TrySetException(e);
            return [];
        }
    }

    /// <summary>The rows of a batch at the end of <paramref name="range"/>, and the tree they make.</summary>
    private sealed record Batch(long Start, List<LedgerRow> Rows, List<AppendWork> Sequenced, CompactRange Range);

    private Batch Build(List<AppendWork> appends, CompactRange range)
    {
        var start = range.Size;
        var working = range.Clone();
        var rows = new List<LedgerRow>(appends.Count);
        var sequenced = new List<AppendWork>(appends.Count);
        var now = _time.GetUtcNow();
        var time = new byte[LedgerEntryCodec.TimeLength]; // one time for the whole batch
        LedgerEntryCodec.WriteTime(now, time);
        foreach (var append in appends)
        {
            var index = start + rows.Count;
            byte[] bytes;
            try
            {
                bytes = append.Prepared.Build(index, time);
            }
            catch (ArgumentException e)
            {
                append.Done.TrySetException(e); // too large: this entry fails, the batch goes on without it
                continue;
            }
            var leaf = MerkleHash.Leaf(bytes);
            rows.Add(new LedgerRow(new SequencedEntry(index, now, append.Entry, bytes), leaf, AppendLeaf(working, leaf)));
            sequenced.Add(append);
        }
        return new Batch(start, rows, sequenced, working);
    }

    /// <summary>Completes the committed appends that need no checkpoint; returns those that wait for one.</summary>
    private static List<(AppendWork Work, SequencedEntry Entry)> Complete(Batch batch)
    {
        var awaiting = new List<(AppendWork, SequencedEntry)>();
        for (var i = 0; i < batch.Sequenced.Count; i++)
        {
            if (batch.Sequenced[i].WantsCheckpoint) awaiting.Add((batch.Sequenced[i], batch.Rows[i].Entry));
            else batch.Sequenced[i].Done.TrySetResult((batch.Rows[i].Entry, null));
        }
        return awaiting;
    }

    /// <summary>Appends a leaf and returns the hashes of the subtrees it completes, bottom-up, as stored with it.</summary>
    internal static byte[] AppendLeaf(CompactRange range, byte[] leaf)
    {
        // An index with t trailing one bits completes t subtrees (levels 1..t).
        var completed = new byte[long.TrailingZeroCount(~range.Size) * MerkleHash.Size];
        var at = 0;
        range.Append(leaf, (_, hash) =>
        {
            hash.CopyTo(completed, at);
            at += MerkleHash.Size;
        });
        return completed;
    }

    private async Task<(bool Published, Exception? Error)> TryPublishAsync(bool dueOnly)
    {
        // Decide from memory first: this runs after every batch and must not cost a query when nothing is due.
        if (dueOnly && !CheckpointDue()) return (false, null);
        try
        {
            // Another process may have appended or published since this one last looked; sign the newest tree.
            if (await _store.GetSizeAsync(_stopping.Token).ConfigureAwait(false) != _range.Size)
                await ReloadAsync(_stopping.Token).ConfigureAwait(false);
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var size = _range.Size;
                if (size == 0 || _lastCheckpoint?.Size >= size) return (false, null);
                if (await PublishAsync(size).ConfigureAwait(false)) return (true, null);
            }
            return (false, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Try again one interval later instead of spinning; explicit CheckpointAsync callers see the error.
            _lastCheckpointAt = _time.GetUtcNow();
            return (false, e);
        }
    }

    private bool CheckpointDue()
    {
        var pending = _range.Size - (_lastCheckpoint?.Size ?? 0);
        return pending > 0 && (pending >= _options.CheckpointEveryEntries || _time.GetUtcNow() - _lastCheckpointAt >= _options.CheckpointInterval);
    }

    /// <summary>Signs and publishes the tree of <paramref name="size"/>; false when another writer moved the head
    /// first (the state is reloaded and the caller may retry).</summary>
    private async Task<bool> PublishAsync(long size)
    {
        if (Quarantine is { } reason) throw new LedgerCorruptException($"refusing to sign size {size}: {reason}");
        var root = _range.Root();
        var previous = _lastCheckpoint;
        if (previous is not null)
        {
            // A log MUST NOT sign a checkpoint inconsistent with one it signed before (c2sp.org/tlog-checkpoint).
            // Nodes of entries this process committed come from memory (what it committed); those of entries another
            // process appended since, from the store: the check is against what others wrote.
            var proof = await _recentNodes.GetConsistencyProofAsync(previous.Size, size, _stopping.Token).ConfigureAwait(false);
            var result = proof.Verify(previous.RootHash, root);
            if (!result.IsValid)
                throw new LedgerCorruptException($"refusing to sign size {size}: not consistent with checkpoint {previous.Size} ({result.Failure})");
        }
        var note = new Checkpoint(_options.Origin, size, root).Sign(_signers).ToString();
        var next = new StoredCheckpoint(size, root, note);
        if (await _store.TryAdvanceCheckpointAsync(previous?.Size ?? -1, next, _stopping.Token).ConfigureAwait(false))
        {
            // The mark moves only once the checkpoint is stored: a crash in between leaves the older mark, which the
            // stored history still satisfies.
            _options.HighWaterMark?.Write(note);
            _lastCheckpoint = next;
            _lastCheckpointAt = _time.GetUtcNow();
            Interlocked.Exchange(ref _checkpointSignedAtTicks, _lastCheckpointAt.UtcTicks);
            return true;
        }
        await ReloadAsync(_stopping.Token).ConfigureAwait(false);
        return false;
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        // The checkpoint first, then the size: another replica may append and publish in between, and the log only
        // grows, so read in this order the size is never below the checkpoint's unless entries were removed.
        var latest = await _store.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        var size = await _store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
        var frontier = await _store.ReadNodesAsync(CompactRange.FrontierIds(size), cancellationToken).ConfigureAwait(false);
        _range = CompactRange.FromFrontier(size, frontier);
        if (latest is not null)
        {
            // Trust only what our own keys (current, or previous ones after a rotation) signed, and only if it matches
            // the stored tree.
            if (!LedgerTrust.TryOpenCheckpoint(System.Text.Encoding.UTF8.GetBytes(latest.Note),
                    new LedgerAuditOptions(_options.Origin, [.. VerifierKeys, .. _options.PreviousVerifierKeys]), out var checkpoint, out var refusal))
                throw new LedgerCorruptException($"latest checkpoint is refused: {refusal.Message}");
            if (checkpoint.Size != latest.Size || !checkpoint.RootHash.AsSpan().SequenceEqual(latest.RootHash) || checkpoint.Size > size)
                throw new LedgerCorruptException($"latest checkpoint (size {checkpoint.Size}) does not match the stored log of size {size}");
            _openedFrom ??= checkpoint;
        }
        if (_options.HighWaterMark is { } mark) await CheckHighWaterMarkAsync(mark, latest, size, cancellationToken).ConfigureAwait(false);
        _lastCheckpoint = latest;
    }

    private Checkpoint? _openedFrom;

    /// <summary>Refuses a store rolled back below (or forked from) the highest checkpoint this ledger signed or verified,
    /// and raises the mark to the store's latest checkpoint once that is shown to extend it. The entries decide, not
    /// the checkpoint rows: a row committed without an fsync of its own can be lost in a crash that the mark survived,
    /// and is then signed again; what must never change is the tree the mark names.</summary>
    private async Task CheckHighWaterMarkAsync(CheckpointHighWaterMark mark, StoredCheckpoint? latest, long size, CancellationToken cancellationToken)
    {
        var note = mark.ReadNote();
        Checkpoint? marked = null;
        if (note is not null)
        {
            if (!LedgerTrust.TryOpenCheckpoint(System.Text.Encoding.UTF8.GetBytes(note), Trust, out marked, out var refusal))
                throw new LedgerCorruptException($"[{LedgerCodes.CheckpointRollback}] the checkpoint high-water mark {mark.Path} is refused: {refusal.Message}");
            // The mark can be newer than the size read before it: a replica sharing this data directory appended and
            // marked in between. The log only grows and the mark only after it, so read again now (after the mark) the
            // size covers the mark unless entries were removed.
            if (size < marked.Size) size = await _store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
            if (size < marked.Size)
                throw new LedgerCorruptException($"[{LedgerCodes.CheckpointRollback}] the store holds {size} entries, fewer than the checkpoint of " +
                                                 $"size {marked.Size} this ledger signed ({mark.Path}): the log was rolled back");
            var root = latest?.Size == marked.Size ? latest.RootHash : await _store.GetRootAsync(marked.Size, cancellationToken).ConfigureAwait(false);
            if (!root.AsSpan().SequenceEqual(marked.RootHash))
                throw new LedgerCorruptException($"[{LedgerCodes.CheckpointRollback}] the stored tree at size {marked.Size} differs from the checkpoint this ledger signed ({mark.Path}): the log was rewritten");
            if (_openedFrom is null || _openedFrom.Size > marked.Size) _openedFrom = marked;
        }
        if (latest is not null && (marked is null || latest.Size > marked.Size)) mark.Write(latest.Note);
    }

    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _closed, true);
        _queue.Writer.TryComplete();
        try
        {
            await _sequencer.ConfigureAwait(false);
        }
        finally
        {
            _stopping.Dispose();
            // The last mark reaches the disk now rather than after the sync delay, which a stopping process may not see.
            _options.HighWaterMark?.Sync();
        }
    }

    private abstract record Work;

    private sealed record AppendWork(LedgerEntry Entry, PreparedEntry Prepared, bool WantsCheckpoint, TaskCompletionSource<(SequencedEntry, StoredCheckpoint?)> Done) : Work;

    private sealed record CheckpointWork(TaskCompletionSource<StoredCheckpoint?> Done) : Work;
}
