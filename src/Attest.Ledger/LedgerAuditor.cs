using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Attest.Core;
using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>What an audit trusts: the log's origin and the keys its checkpoints must be signed with (the current key
/// and previous ones after a rotation). Checkpoints signed only by a revoked key are refused (<see cref="LedgerTrust"/>).</summary>
public sealed record LedgerAuditOptions(string Origin, IReadOnlyList<NoteVerifierKey> TrustedKeys)
{
    /// <summary>Keys taken out of service (say, after a compromise): never trusted, named when they are all that signed.</summary>
    public IReadOnlyList<NoteVerifierKey> RevokedKeys { get; init; } = [];

    /// <summary>Told how many entries have been replayed (or exported) so far, now and then, for a progress display.</summary>
    public IProgress<long>? Progress { get; init; }
}

/// <summary>
/// Outcome of a full audit. <see cref="FirstBadIndex"/> is the lowest entry index the audit can no longer vouch
/// for: exact for a changed, deleted or moved row; the start of the checkpoint interval when an entry was
/// rewritten together with its stored leaf hash (only the signed root can tell then).
/// </summary>
public sealed record LedgerAuditReport(long EntriesChecked, int CheckpointsChecked, long VerifiedCheckpointSize, long? FirstBadIndex,
    IReadOnlyList<Finding> Findings)
{
    public bool IsValid => Findings.Count == 0;
}

/// <summary>
/// <c>attest ledger verify</c>: replays every entry from the store, recomputes every leaf, stored subtree and
/// checkpoint root, checks every checkpoint signature and every stored search column against the body it copies, and
/// names the first bad index. Trusts nothing in the database except what the configured keys signed.
/// </summary>
public static class LedgerAuditor
{
    /// <summary>Column mismatches listed one by one before the rest are only counted.</summary>
    private const int MaxColumnFindings = 100;

    public static Task<LedgerAuditReport> AuditAsync(ILedgerStore store, LedgerAuditOptions options, CancellationToken cancellationToken = default) =>
        AuditAsync(store, options, from: null, cancellationToken);

    /// <summary>Audits only what follows <paramref name="from"/>, a checkpoint already verified (a server's start-up):
    /// the stored frontier at its size must lead to its root, then every later entry is replayed and checked as in a
    /// full audit, and every later checkpoint compared. Entries before it are left to the full audit.</summary>
    public static Task<LedgerAuditReport> AuditTailAsync(ILedgerStore store, LedgerAuditOptions options, Checkpoint from, CancellationToken cancellationToken = default) =>
        AuditAsync(store, options, from ?? throw new ArgumentNullException(nameof(from)), cancellationToken);

    private static async Task<LedgerAuditReport> AuditAsync(ILedgerStore store, LedgerAuditOptions options, Checkpoint? from, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var findings = new List<Finding>();
        long? firstBad = null;
        void Bad(long index, string code, string message, Dictionary<string, string>? evidence = null)
        {
            evidence ??= [];
            evidence["index"] = index.ToString(CultureInfo.InvariantCulture);
            findings.Add(new Finding(code, message, evidence));
            firstBad = firstBad is { } f ? Math.Min(f, index) : index;
        }

        // 1. Checkpoints: every signature, and the columns must say what the signed note says.
        var (checkpoints, checkpointRows) = await ReadVerifiedCheckpointsAsync(store, options, findings, cancellationToken).ConfigureAwait(false);

        // 2. Replay: entries in order, each checked against its position, stored leaf hash and search columns; stored
        //    subtree hashes compared as the tree completes them; roots compared at every checkpoint size. A tail audit
        //    starts from the stored frontier of a verified checkpoint, which must lead to that checkpoint's root.
        var range = new CompactRange();
        var nextCheckpoint = 0;
        long verifiedSize = 0;
        var nodeProblem = false;
        var columnProblems = 0;
        if (from is not null)
        {
            byte[] root;
            try
            {
                range = CompactRange.FromFrontier(from.Size, await store.ReadNodesAsync(CompactRange.FrontierIds(from.Size), cancellationToken).ConfigureAwait(false));
                root = range.Root();
            }
            catch (LedgerCorruptException e)
            {
                Bad(from.Size, LedgerCodes.CheckpointRootMismatch, $"the stored tree at size {from.Size} cannot be read: {e.Message}");
                return new LedgerAuditReport(0, checkpointRows, from.Size, firstBad, findings);
            }
            if (!root.AsSpan().SequenceEqual(from.RootHash))
            {
                Bad(from.Size, LedgerCodes.CheckpointRootMismatch, $"the stored tree at size {from.Size} does not lead to the root of the checkpoint verified before",
                    new Dictionary<string, string> { ["size"] = Str(from.Size), ["expectedRoot"] = Convert.ToHexStringLower(from.RootHash), ["calculatedRoot"] = Convert.ToHexStringLower(root) });
                return new LedgerAuditReport(0, checkpointRows, from.Size, firstBad, findings);
            }
            verifiedSize = from.Size;
            while (nextCheckpoint < checkpoints.Count && checkpoints[nextCheckpoint].Size <= from.Size)
            {
                var earlier = checkpoints[nextCheckpoint++];
                if (earlier.Size == from.Size && !earlier.RootHash.AsSpan().SequenceEqual(from.RootHash))
                    Bad(from.Size, LedgerCodes.CheckpointRootMismatch, $"the stored checkpoint of size {from.Size} differs from the one verified before");
            }
        }
        while (nextCheckpoint < checkpoints.Count && checkpoints[nextCheckpoint].Size == 0)
        {
            if (!checkpoints[nextCheckpoint].RootHash.AsSpan().SequenceEqual(MerkleHash.EmptyRoot()))
                Bad(0, LedgerCodes.CheckpointRootMismatch, "checkpoint of size 0 does not carry the empty-tree root");
            nextCheckpoint++;
        }

        var stopped = false;
        using var replay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var chunks = Channel.CreateBounded<ReplayedRow[]>(new BoundedChannelOptions(ReadAheadChunks) { SingleReader = true, SingleWriter = true });
        // Two stages on two threads of about equal cost: reading and parsing run ahead of hashing and the tree
        // (position checks, leaf and subtree hashes, roots at checkpoints), which is all this loop does.
        var reading = Task.Run(() => ReadAndHashAsync(store, from?.Size ?? 0, chunks.Writer, replay.Token), CancellationToken.None);
        try
        {
            await foreach (var chunk in chunks.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var item in chunk)
                {
                    if (!Replay(item))
                    {
                        stopped = true;
                        break;
                    }
                }
                if (stopped) break;
                options.Progress?.Report(range.Size);
            }
        }
        finally
        {
            // Stopped early (or failed): the reader must not outlive the audit.
            await replay.CancelAsync().ConfigureAwait(false);
            try
            {
                await reading.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (replay.IsCancellationRequested)
            {
            }
        }

        // The sequential part of the replay for one row; false once the audit cannot go on past it.
        bool Replay(ReplayedRow item)
        {
            var (row, entryIndex, parseError, column) = item;
            var expected = range.Size;
            if (row.Index != expected)
            {
                Bad(expected, LedgerCodes.EntryMissing, $"entry {expected} is missing (the next row is {row.Index})");
                return false;
            }
            if (parseError is not null)
            {
                Bad(expected, LedgerCodes.EntryMalformed, $"entry {expected} cannot be read: {parseError}");
                return false;
            }
            if (entryIndex != expected)
            {
                Bad(expected, LedgerCodes.EntryIndexMismatch, $"row {expected} holds the entry written as {entryIndex}",
                    new Dictionary<string, string> { ["entryIndex"] = Str(entryIndex) });
                return false;
            }
            var leaf = MerkleHash.Leaf(row.Body);
            if (!leaf.AsSpan().SequenceEqual(row.LeafHash))
            {
                Bad(expected, LedgerCodes.EntryLeafHashMismatch, $"entry {expected} does not hash to its stored leaf hash",
                    new Dictionary<string, string> { ["expected"] = Convert.ToHexStringLower(row.LeafHash), ["calculated"] = Convert.ToHexStringLower(leaf) });
                return false;
            }
            if (column is not null)
            {
                // The body is intact (its hash is the leaf); the copy a search filters on is not: searches would miss or
                // misname the entry.
                if (++columnProblems <= MaxColumnFindings)
                    Bad(expected, LedgerCodes.EntryColumnMismatch, $"the '{column}' column of entry {expected} differs from the entry's own '{column}'",
                        new Dictionary<string, string> { ["column"] = column });
            }
            var subtrees = AuditLedger.AppendLeaf(range, leaf);
            if (!nodeProblem && !subtrees.AsSpan().SequenceEqual(row.SubtreeHashes))
            {
                // Either a stored subtree was changed (proofs served over it would fail at the client) or a leaf under it
                // was rewritten together with its leaf hash: the smallest differing subtree bounds where.
                nodeProblem = true;
                var level = 1;
                while (level * MerkleHash.Size <= Math.Min(subtrees.Length, row.SubtreeHashes.Length)
                       && subtrees.AsSpan((level - 1) * MerkleHash.Size, MerkleHash.Size).SequenceEqual(row.SubtreeHashes.AsSpan((level - 1) * MerkleHash.Size, MerkleHash.Size)))
                    level++;
                var first = Math.Max(0, expected - (1L << Math.Min(level, 62)) + 1);
                // Not counted against an entry by itself: the stored node may be what changed (a checkpoint root decides).
                findings.Add(new Finding(LedgerCodes.NodeMismatch,
                    $"the subtree hashes stored with entry {expected} differ from the replayed ones: an entry in [{first}, {expected}] was rewritten with its leaf hash, or the stored subtree was",
                    new Dictionary<string, string> { ["entry"] = Str(expected), ["firstSuspect"] = Str(first), ["lastSuspect"] = Str(expected),
                        ["expected"] = Convert.ToHexStringLower(subtrees), ["found"] = Convert.ToHexStringLower(row.SubtreeHashes) }));
            }
            while (nextCheckpoint < checkpoints.Count && checkpoints[nextCheckpoint].Size == range.Size)
            {
                var checkpoint = checkpoints[nextCheckpoint++];
                var root = range.Root();
                if (!root.AsSpan().SequenceEqual(checkpoint.RootHash))
                {
                    // Consistent leaves but a different root: some entry in (last verified, this size] was rewritten
                    // together with its leaf hash. Only the interval is known.
                    Bad(verifiedSize, LedgerCodes.CheckpointRootMismatch,
                        $"the replayed root at size {checkpoint.Size} differs from the signed checkpoint; an entry in [{verifiedSize}, {checkpoint.Size}) was rewritten",
                        new Dictionary<string, string>
                        {
                            ["size"] = Str(checkpoint.Size), ["firstSuspect"] = Str(verifiedSize), ["lastSuspect"] = Str(checkpoint.Size - 1),
                            ["expectedRoot"] = Convert.ToHexStringLower(checkpoint.RootHash), ["calculatedRoot"] = Convert.ToHexStringLower(root),
                        });
                    return false;
                }
                verifiedSize = checkpoint.Size;
            }
            return true;
        }

        if (!stopped)
        {
            // Checkpoints past the end: signed entries were deleted from the tail.
            foreach (var checkpoint in checkpoints.Skip(nextCheckpoint))
                Bad(range.Size, LedgerCodes.CheckpointBeyondLog, $"checkpoint of size {checkpoint.Size} covers entries the log no longer has",
                    new Dictionary<string, string> { ["size"] = Str(checkpoint.Size), ["logSize"] = Str(range.Size) });
        }
        if (columnProblems > MaxColumnFindings)
            findings.Add(new Finding(LedgerCodes.EntryColumnMismatch, $"{columnProblems - MaxColumnFindings} more entries have columns that differ from their bodies",
                new Dictionary<string, string> { ["count"] = Str(columnProblems) }));
        // Entries that no trusted checkpoint covers prove nothing: the whole log could have been written by anyone.
        if (findings.Count == 0 && range.Size > 0 && verifiedSize == 0)
            Bad(0, LedgerCodes.CheckpointNone, $"no checkpoint signed by a trusted key covers any of the {range.Size} entries");
        return new LedgerAuditReport(range.Size, checkpointRows, verifiedSize, firstBad, findings);
    }

    /// <summary>Every checkpoint row of a log whose note the trusted keys signed and whose columns say what the note says,
    /// by size, with how many rows there were; each refused row, and a head that is not the latest verified checkpoint,
    /// is a finding.</summary>
    internal static async Task<(List<Checkpoint> Verified, int Rows)> ReadVerifiedCheckpointsAsync(ICheckpointStore store, LedgerAuditOptions options,
        List<Finding> findings, CancellationToken cancellationToken)
    {
        var checkpoints = new List<Checkpoint>();
        var rows = 0;
        // The head is read before the rows and again after them: replicas (or this server) may publish while the audit
        // runs, so the rows can end past the first head, and the second head past the rows. What cannot happen
        // honestly is a head read before the rows that has no row among them, or one read after them that is behind.
        StoredCheckpoint? before = null;
        string? unreadable = null;
        try
        {
            before = await store.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (LedgerCorruptException e)
        {
            unreadable = e.Message;
        }
        await foreach (var row in store.ReadCheckpointsAsync(cancellationToken).ConfigureAwait(false))
        {
            rows++;
            if (!LedgerTrust.TryOpenCheckpoint(Encoding.UTF8.GetBytes(row.Note), options, out var checkpoint, out var refusal))
            {
                var evidence = new Dictionary<string, string>(refusal.Evidence ?? new Dictionary<string, string>()) { ["size"] = Str(row.Size) };
                findings.Add(new Finding(LedgerCodes.CheckpointSignature, $"checkpoint row {row.Size} refused: {refusal.Message}", evidence));
                continue;
            }
            if (checkpoint.Size != row.Size || !checkpoint.RootHash.AsSpan().SequenceEqual(row.RootHash))
            {
                findings.Add(new Finding(LedgerCodes.CheckpointRowMismatch, $"checkpoint row {row.Size} differs from the note it stores",
                    new Dictionary<string, string> { ["size"] = Str(row.Size), ["noteSize"] = Str(checkpoint.Size) }));
                continue;
            }
            checkpoints.Add(checkpoint);
        }
        try
        {
            var after = unreadable is null ? await store.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false) : null;
            var last = checkpoints.Count > 0 ? checkpoints[^1].Size : -1;
            if (unreadable is not null) findings.Add(new Finding(LedgerCodes.CheckpointHeadMismatch, unreadable));
            else if ((before?.Size ?? -1) > last || (after?.Size ?? -1) < last)
            {
                var head = (before?.Size ?? -1) > last ? before : after;
                findings.Add(new Finding(LedgerCodes.CheckpointHeadMismatch, "the checkpoint head is not the latest verified checkpoint",
                    new Dictionary<string, string> { ["head"] = Str(head?.Size ?? -1), ["latest"] = Str(last) }));
            }
        }
        catch (LedgerCorruptException e)
        {
            findings.Add(new Finding(LedgerCodes.CheckpointHeadMismatch, e.Message));
        }
        return (checkpoints, rows);
    }

    /// <summary>Chunks of <see cref="ReadAheadRows"/> rows the reader may run ahead of the replay.</summary>
    private const int ReadAheadChunks = 8;

    private const int ReadAheadRows = 512;

    /// <summary>A row with the index its bytes carry (or why they cannot be read), and the first search column that
    /// differs from the body (null when they agree).</summary>
    private readonly record struct ReplayedRow(StoredEntry Row, long EntryIndex, string? ParseError, string? ColumnMismatch);

    private static async Task ReadAndHashAsync(ILedgerStore store, long start, ChannelWriter<ReplayedRow[]> output, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            var chunk = new List<ReplayedRow>(ReadAheadRows);
            await foreach (var row in store.ReadEntriesAsync(start, long.MaxValue, cancellationToken).ConfigureAwait(false))
            {
                LedgerColumns.TryRead(row.Body, row.Columns, out var entryIndex, out var column, out var parseError);
                chunk.Add(new ReplayedRow(row, entryIndex, parseError, column));
                if (chunk.Count == ReadAheadRows)
                {
                    await output.WriteAsync([.. chunk], cancellationToken).ConfigureAwait(false);
                    chunk.Clear();
                }
            }
            if (chunk.Count > 0) await output.WriteAsync([.. chunk], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            // The replay sees the store's own error (say, a dropped connection) rather than a short log.
            output.TryComplete(failure is OperationCanceledException ? null : failure);
        }
    }

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);
}
