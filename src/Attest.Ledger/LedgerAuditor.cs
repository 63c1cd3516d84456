using System.Globalization;
using System.Text;
using Attest.Core;
using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>What an audit trusts: the log's origin and the keys its checkpoints must be signed with.</summary>
public sealed record LedgerAuditOptions(string Origin, IReadOnlyList<NoteVerifierKey> TrustedKeys);

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
/// checkpoint root, checks every checkpoint signature, and names the first bad index. Trusts nothing in the
/// database except what the configured keys signed.
/// </summary>
public static class LedgerAuditor
{
    public static async Task<LedgerAuditReport> AuditAsync(ILedgerStore store, LedgerAuditOptions options, CancellationToken cancellationToken = default)
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
        var checkpoints = new List<Checkpoint>();
        var checkpointRows = 0;
        await foreach (var row in store.ReadCheckpointsAsync(cancellationToken).ConfigureAwait(false))
        {
            checkpointRows++;
            if (!Checkpoint.TryOpen(Encoding.UTF8.GetBytes(row.Note), options.Origin, options.TrustedKeys, out var checkpoint, out var error))
            {
                findings.Add(new Finding(LedgerCodes.CheckpointSignature, $"checkpoint row {row.Size} does not verify: {error.Message}",
                    new Dictionary<string, string> { ["size"] = Str(row.Size), ["cause"] = error.Code }));
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
            var head = await store.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
            var last = checkpoints.Count > 0 ? checkpoints[^1] : null;
            if (head?.Size != last?.Size)
                findings.Add(new Finding(LedgerCodes.CheckpointHeadMismatch, "the checkpoint head is not the latest verified checkpoint",
                    new Dictionary<string, string> { ["head"] = Str(head?.Size ?? -1), ["latest"] = Str(last?.Size ?? -1) }));
        }
        catch (LedgerCorruptException e)
        {
            findings.Add(new Finding(LedgerCodes.CheckpointHeadMismatch, e.Message));
        }

        // 2. Replay: entries in order, each checked against its position and stored leaf hash; stored subtree
        //    hashes compared as the tree completes them; roots compared at every checkpoint size.
        var range = new CompactRange();
        var nextCheckpoint = 0;
        long verifiedSize = 0;
        var nodeProblem = false;
        while (nextCheckpoint < checkpoints.Count && checkpoints[nextCheckpoint].Size == 0)
        {
            if (!checkpoints[nextCheckpoint].RootHash.AsSpan().SequenceEqual(MerkleHash.EmptyRoot()))
                Bad(0, LedgerCodes.CheckpointRootMismatch, "checkpoint of size 0 does not carry the empty-tree root");
            nextCheckpoint++;
        }

        var stopped = false;
        await foreach (var row in store.ReadEntriesAsync(0, long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            var expected = range.Size;
            if (row.Index != expected)
            {
                Bad(expected, LedgerCodes.EntryMissing, $"entry {expected} is missing (the next row is {row.Index})");
                stopped = true;
                break;
            }
            if (!LedgerEntryCodec.TryReadIndex(row.Body, out var entryIndex, out var parseError))
            {
                Bad(expected, LedgerCodes.EntryMalformed, $"entry {expected} cannot be read: {parseError}");
                stopped = true;
                break;
            }
            if (entryIndex != expected)
            {
                Bad(expected, LedgerCodes.EntryIndexMismatch, $"row {expected} holds the entry written as {entryIndex}",
                    new Dictionary<string, string> { ["entryIndex"] = Str(entryIndex) });
                stopped = true;
                break;
            }
            var leaf = MerkleHash.Leaf(row.Body);
            if (!leaf.AsSpan().SequenceEqual(row.LeafHash))
            {
                Bad(expected, LedgerCodes.EntryLeafHashMismatch, $"entry {expected} does not hash to its stored leaf hash",
                    new Dictionary<string, string> { ["expected"] = Convert.ToHexStringLower(row.LeafHash), ["calculated"] = Convert.ToHexStringLower(leaf) });
                stopped = true;
                break;
            }
            var subtrees = AuditLedger.AppendLeaf(range, leaf);
            if (!nodeProblem && !subtrees.AsSpan().SequenceEqual(row.SubtreeHashes))
            {
                // Proofs served over these subtrees would be wrong (and fail at the client); the entries are intact.
                nodeProblem = true;
                findings.Add(new Finding(LedgerCodes.NodeMismatch, $"the subtree hashes stored with entry {expected} differ from the replayed ones",
                    new Dictionary<string, string> { ["entry"] = Str(expected), ["expected"] = Convert.ToHexStringLower(subtrees),
                        ["found"] = Convert.ToHexStringLower(row.SubtreeHashes) }));
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
                    stopped = true;
                    break;
                }
                verifiedSize = checkpoint.Size;
            }
            if (stopped) break;
        }

        if (!stopped)
        {
            // Checkpoints past the end: signed entries were deleted from the tail.
            foreach (var checkpoint in checkpoints.Skip(nextCheckpoint))
                Bad(range.Size, LedgerCodes.CheckpointBeyondLog, $"checkpoint of size {checkpoint.Size} covers entries the log no longer has",
                    new Dictionary<string, string> { ["size"] = Str(checkpoint.Size), ["logSize"] = Str(range.Size) });
        }
        return new LedgerAuditReport(range.Size, checkpointRows, verifiedSize, firstBad, findings);
    }

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);
}
