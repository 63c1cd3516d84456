using System.Collections.Concurrent;
using System.Text;
using Attest.Core.Transparency;

namespace Attest.Ledger.SumDb;

/// <summary>What adding a record did: added it, found the same record already there, or found a different record for
/// the module version (the first is final; <see cref="SumDbAddResult.Row"/> is then the existing one).</summary>
public enum SumDbAddOutcome
{
    Added,
    Existing,
    Conflict,
}

/// <summary>The outcome of <see cref="SumDbLog.AddAsync"/>, with the record that stands and a signed tree head that covers it.</summary>
public sealed record SumDbAddResult(SumDbAddOutcome Outcome, SumDbRow Row, StoredCheckpoint Checkpoint);

/// <summary>
/// The checksum database's log: records keyed by module version (the first record of a version is final), leaves
/// hashed as RFC 6962 (x/mod <c>tlog.RecordHash</c>), tree heads signed as Go's <c>go.sum database tree</c> notes with
/// the database's Ed25519 key, and the reads the go command's protocol needs: a record by module version, the latest
/// signed tree head, hash tiles of height 8 and record-data tiles. One writer per process; replicas sharing
/// PostgreSQL meet in the store (size check under its lock, unique module versions) and re-sync. Every record is
/// covered by a signed tree head before <see cref="AddAsync"/> returns, so it can be served at once.
/// </summary>
public sealed class SumDbLog : IAsyncDisposable
{
    /// <summary>First line of every tree note (x/mod <c>tlog.FormatTree</c>); the checkpoint's "origin".</summary>
    public const string TreeOrigin = "go.sum database tree";

    /// <summary>Tiles of this height are what the go command reads (<c>tile/8/L/N</c>).</summary>
    public const int TileHeight = 8;

    public const int TileWidth = 1 << TileHeight;

    /// <summary>Largest record text (two go.sum lines of a module version are far smaller).</summary>
    public const int MaxRecordBytes = 8 * 1024;

    /// <summary>How stale the cached tree head may be before a read looks again (another replica may have added).</summary>
    public static readonly TimeSpan HeadRefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>Tries of one add or signature while other replicas keep moving the tree.</summary>
    private const int MaxAttempts = 20;

    private const int MaxCachedRecords = 50_000;
    private const int MaxCachedTiles = 2_048;

    private readonly ISumDbStore _store;
    private readonly NoteSigner _signer;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly ConcurrentDictionary<(string Path, string Version), SumDbRow> _records = new();
    private readonly ConcurrentDictionary<(int Level, long Index, int Width), byte[]> _tiles = new();
    private CompactRange _range = new();
    private volatile Head _head = null!;

    private SumDbLog(ISumDbStore store, NoteSigner signer, TimeProvider time)
    {
        _store = store;
        _signer = signer;
        _time = time;
    }

    public ISumDbStore Store => _store;

    /// <summary>The key the go command is given (<c>GOSUMDB="&lt;key&gt; &lt;url&gt;"</c>): <c>name+hash+key</c>.</summary>
    public NoteVerifierKey VerifierKey => _signer.VerifierKey;

    public string Name => _signer.Name;

    /// <summary>Loads the tree from the store, refuses a head this key did not sign or that does not match the stored
    /// tree, and signs a tree head over whatever is not yet covered (an empty tree the first time; records whose head
    /// a crash lost), so <see cref="LatestAsync"/> always has one.</summary>
    public static async Task<SumDbLog> OpenAsync(ISumDbStore store, NoteSigner signer, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(time);
        if (signer.VerifierKey.SignatureType != NoteVerifierKey.Ed25519Type)
            throw new ArgumentException("the go command verifies checksum databases with Ed25519 keys only", nameof(signer));
        var log = new SumDbLog(store, signer, time);
        await log._writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await log.ReloadAsync(cancellationToken).ConfigureAwait(false);
            if (log._head.Checkpoint is null || log._head.Checkpoint.Size < log._range.Size)
                await log.PublishAsync(log._range.Size, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            log._writeLock.Release();
        }
        return log;
    }

    /// <summary>Adds the record of a module version unless it has one: the same text again is <see cref="SumDbAddOutcome.Existing"/>,
    /// different text is <see cref="SumDbAddOutcome.Conflict"/> and changes nothing. Returns once the record is durable
    /// and covered by a signed tree head.</summary>
    public async Task<SumDbAddResult> AddAsync(string path, string version, byte[] text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(version);
        ArgumentNullException.ThrowIfNull(text);
        if (!IsValidRecordText(text)) throw new ArgumentException("record text must be UTF-8 lines without control characters or blank lines, ending in a newline", nameof(text));
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                if (await _store.FindAsync(path, version, cancellationToken).ConfigureAwait(false) is { } existing)
                {
                    Remember(existing);
                    var covering = await CoveringHeadAsync(existing.Index, cancellationToken).ConfigureAwait(false);
                    return new SumDbAddResult(existing.Text.AsSpan().SequenceEqual(text) ? SumDbAddOutcome.Existing : SumDbAddOutcome.Conflict, existing, covering);
                }
                var working = _range.Clone();
                var leaf = MerkleHash.Leaf(text);
                var row = new SumDbRow(working.Size, path, version, text, leaf, AuditLedger.AppendLeaf(working, leaf));
                try
                {
                    await _store.CommitAsync(row.Index, [row], cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is LedgerConflictException or SumDbDuplicateException && attempt < MaxAttempts)
                {
                    // Another replica added first: continue from the tree it left (and find its record, if it was this one),
                    // after a random pause that grows, so that a replica which keeps losing the race gets its turn.
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 * (attempt + 1))), _time, cancellationToken).ConfigureAwait(false);
                    await ReloadAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch
                {
                    // The outcome is unknown (the database went away): re-sync before anything else is added.
                    await ReloadAsync(CancellationToken.None).ConfigureAwait(false);
                    throw;
                }
                _range = working;
                Remember(row);
                return new SumDbAddResult(SumDbAddOutcome.Added, row, await PublishAsync(_range.Size, cancellationToken).ConfigureAwait(false));
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The record of a module version that the latest signed tree head covers, or null (none, or one that
    /// another replica added and has not yet signed).</summary>
    public async Task<(SumDbRow Row, StoredCheckpoint Head)?> FindAsync(string path, string version, CancellationToken cancellationToken = default)
    {
        var head = await LatestAsync(cancellationToken).ConfigureAwait(false);
        if (!_records.TryGetValue((path, version), out var row))
        {
            row = await _store.FindAsync(path, version, cancellationToken).ConfigureAwait(false);
            if (row is null) return null;
            Remember(row);
        }
        if (row.Index >= head.Size) head = await LatestAsync(cancellationToken, force: true).ConfigureAwait(false);
        return row.Index < head.Size ? (row, head) : null;
    }

    /// <summary>The latest signed tree head (re-read from the store at most every <see cref="HeadRefreshInterval"/>).</summary>
    public Task<StoredCheckpoint> LatestAsync(CancellationToken cancellationToken = default) => LatestAsync(cancellationToken, force: false);

    private async Task<StoredCheckpoint> LatestAsync(CancellationToken cancellationToken, bool force)
    {
        var head = _head;
        if (!force && _time.GetUtcNow() - head.ReadAt < HeadRefreshInterval) return head.Checkpoint!;
        await _refreshLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_head != head) return _head.Checkpoint!; // refreshed while this caller waited
            var stored = await _store.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
            var checkpoint = stored is not null && stored.Size >= head.Checkpoint!.Size ? Verified(stored) : head.Checkpoint!;
            _head = new Head(checkpoint, _time.GetUtcNow());
            return checkpoint;
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>Hash tile (height 8) <c>tile/8/level/index[.p/width]</c> of the latest signed tree: the <paramref name="width"/>
    /// hashes of tree level 8·level from 256·index on. Null when the signed tree does not hold them (yet).</summary>
    public async Task<byte[]?> ReadHashTileAsync(int level, long index, int width, CancellationToken cancellationToken = default)
    {
        if (level < 0 || index < 0 || width is < 1 or > TileWidth || level * TileHeight > 62) return null;
        if (_tiles.TryGetValue((level, index, width), out var cached)) return cached;
        var head = await LatestAsync(cancellationToken).ConfigureAwait(false);
        var stored = head.Size >> (level * TileHeight);
        if (index > (stored - width) >> TileHeight || index * TileWidth + width > stored) return null;
        var ids = new MerkleNodeId[width];
        for (var i = 0; i < width; i++) ids[i] = new MerkleNodeId(level * TileHeight, index * TileWidth + i);
        var hashes = await _store.ReadNodesAsync(ids, cancellationToken).ConfigureAwait(false);
        var tile = new byte[width * MerkleHash.Size];
        for (var i = 0; i < width; i++) hashes[i].CopyTo(tile, i * MerkleHash.Size);
        // A tile's content never changes once the tree holds it: cache it (bounded; dropped wholesale when full).
        if (_tiles.Count >= MaxCachedTiles) _tiles.Clear();
        _tiles[(level, index, width)] = tile;
        return tile;
    }

    /// <summary>Record-data tile <c>tile/8/data/index[.p/width]</c>: the texts of records 256·index … (+width), each
    /// followed by a blank line (as sum.golang.org serves them). Null when the signed tree does not hold them.</summary>
    public async Task<byte[]?> ReadDataTileAsync(long index, int width, CancellationToken cancellationToken = default)
    {
        if (index < 0 || width is < 1 or > TileWidth) return null;
        var head = await LatestAsync(cancellationToken).ConfigureAwait(false);
        if (index > (head.Size - width) >> TileHeight || index * TileWidth + width > head.Size) return null;
        var start = index * TileWidth;
        using var data = new MemoryStream(width * 160);
        var expected = start;
        await foreach (var row in _store.ReadRecordsAsync(start, start + width, cancellationToken).ConfigureAwait(false))
        {
            if (row.Index != expected++) throw new LedgerCorruptException($"checksum database record {expected - 1} is missing in {_store.Location}");
            data.Write(row.Text);
            data.WriteByte((byte)'\n');
        }
        if (expected != start + width) throw new LedgerCorruptException($"checksum database record {expected} is missing in {_store.Location}");
        return data.ToArray();
    }

    /// <summary>x/mod <c>tlog</c>'s record text rule: valid UTF-8, no control characters but newline, no blank line,
    /// ending in a newline.</summary>
    public static bool IsValidRecordText(ReadOnlySpan<byte> text)
    {
        if (text.Length is 0 or > MaxRecordBytes || text[^1] != '\n' || text[0] == '\n') return false;
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(text);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        for (var i = 0; i < decoded.Length; i++)
        {
            var c = decoded[i];
            if (c < 0x20 && c != '\n' || c == '\n' && i > 0 && decoded[i - 1] == '\n') return false;
        }
        return true;
    }

    private void Remember(SumDbRow row)
    {
        // Records never change once written, so a cached one is never stale (bounded; dropped wholesale when full).
        if (_records.Count >= MaxCachedRecords) _records.Clear();
        _records[(row.Path, row.Version)] = row;
    }

    /// <summary>A signed head that covers <paramref name="index"/>, signing one if the stored head lags (a crash between
    /// a record's commit and its head, or another replica between the two).</summary>
    private async Task<StoredCheckpoint> CoveringHeadAsync(long index, CancellationToken cancellationToken)
    {
        var head = await LatestAsync(cancellationToken, force: true).ConfigureAwait(false);
        if (head.Size > index) return head;
        await ReloadAsync(cancellationToken).ConfigureAwait(false);
        return _head.Checkpoint!.Size > index ? _head.Checkpoint! : await PublishAsync(_range.Size, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Signs the tree of <paramref name="size"/> (the in-memory tree), after checking it is consistent with the
    /// previous signed head; if another replica moved the head first, takes theirs when it covers the tree.</summary>
    private async Task<StoredCheckpoint> PublishAsync(long size, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var previous = _head.Checkpoint;
            if (previous is not null && previous.Size >= size) return previous;
            var root = _range.Root();
            if (previous is { Size: > 0 })
            {
                // A log must never sign a tree inconsistent with one it signed before.
                var proof = await _store.GetConsistencyProofAsync(previous.Size, size, cancellationToken).ConfigureAwait(false);
                var result = proof.Verify(previous.RootHash, root);
                if (!result.IsValid)
                    throw new LedgerCorruptException($"refusing to sign the checksum database at size {size}: not consistent with the signed size {previous.Size} ({result.Failure})");
            }
            var note = new Checkpoint(TreeOrigin, size, root).Sign(_signer).ToString();
            var next = new StoredCheckpoint(size, root, note);
            if (await _store.TryAdvanceCheckpointAsync(previous?.Size ?? -1, next, cancellationToken).ConfigureAwait(false))
            {
                _head = new Head(next, _time.GetUtcNow());
                return next;
            }
            await ReloadAsync(cancellationToken).ConfigureAwait(false);
            size = Math.Max(size, _range.Size);
        }
        throw new LedgerConflictException("the checksum database head kept moving while this replica tried to sign it");
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        // The head first: records only grow, so the size read after it covers it even while another replica adds.
        var stored = await _store.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        var size = await _store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
        var frontier = await _store.ReadNodesAsync(CompactRange.FrontierIds(size), cancellationToken).ConfigureAwait(false);
        var range = CompactRange.FromFrontier(size, frontier);
        StoredCheckpoint? head = null;
        if (stored is not null)
        {
            head = Verified(stored);
            if (head.Size > size || !(await _store.GetRootAsync(head.Size, cancellationToken).ConfigureAwait(false)).AsSpan().SequenceEqual(head.RootHash))
                throw new LedgerCorruptException($"the checksum database's signed head (size {head.Size}) does not match the {size} records stored in {_store.Location}");
        }
        _range = range;
        _head = new Head(head, _time.GetUtcNow());
    }

    /// <summary>Only a head this database's key signed, whose columns say what its note says, is served.</summary>
    private StoredCheckpoint Verified(StoredCheckpoint stored)
    {
        if (!Checkpoint.TryOpen(Encoding.UTF8.GetBytes(stored.Note), TreeOrigin, [_signer.VerifierKey], out var checkpoint, out var error))
            throw new LedgerCorruptException(error.Code == TransparencyCodes.NoteUnverified
                ? $"the checksum database's signed head is refused: it is not signed by this database's key {_signer.Name}+{_signer.KeyHash:x8} (replicas share one key)"
                : $"the checksum database's signed head is refused: {error.Message}");
        if (checkpoint.Size != stored.Size || !checkpoint.RootHash.AsSpan().SequenceEqual(stored.RootHash))
            throw new LedgerCorruptException($"the checksum database's head row (size {stored.Size}) differs from the note it stores");
        return stored;
    }

    public ValueTask DisposeAsync()
    {
        _writeLock.Dispose();
        _refreshLock.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed record Head(StoredCheckpoint? Checkpoint, DateTimeOffset ReadAt);
}
