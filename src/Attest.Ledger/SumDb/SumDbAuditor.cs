using System.Globalization;
using System.Text;
using Attest.Core;
using Attest.Core.Transparency;

namespace Attest.Ledger.SumDb;

/// <summary>
/// Replays the checksum database's log from its store, trusting nothing in the database but what the database key
/// signed: every tree head's signature and columns; every record's text (valid record text whose lines are those of
/// the module version its row is keyed by), its leaf hash, the subtree hashes stored with it and its position; one
/// record per module version; and the replayed root at every signed size. Names the first bad index and its module.
/// </summary>
public static class SumDbAuditor
{
    public static async Task<LedgerAuditReport> AuditAsync(ISumDbStore store, NoteVerifierKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(key);
        var findings = new List<Finding>();
        long? firstBad = null;
        void Bad(long index, string code, string message, SumDbRow? row = null, Dictionary<string, string>? evidence = null)
        {
            evidence ??= [];
            evidence["index"] = Str(index);
            if (row is not null) evidence["module"] = $"{row.Path}@{row.Version}";
            findings.Add(new Finding(code, message, evidence));
            firstBad = firstBad is { } f ? Math.Min(f, index) : index;
        }

        var (heads, rows) = await LedgerAuditor.ReadVerifiedCheckpointsAsync(store, new LedgerAuditOptions(SumDbLog.TreeOrigin, [key]), findings, cancellationToken)
            .ConfigureAwait(false);

        var range = new CompactRange();
        var next = 0;
        long verified = 0;
        var nodeProblem = false;
        var modules = new HashSet<(string, string)>();
        bool CheckHeads()
        {
            while (next < heads.Count && heads[next].Size == range.Size)
            {
                var head = heads[next++];
                var root = range.Root();
                if (!root.AsSpan().SequenceEqual(head.RootHash))
                {
                    Bad(verified, LedgerCodes.CheckpointRootMismatch,
                        $"the replayed root at size {head.Size} differs from the signed tree head; a record in [{verified}, {head.Size}) was rewritten",
                        evidence: new Dictionary<string, string> { ["size"] = Str(head.Size), ["firstSuspect"] = Str(verified) });
                    return false;
                }
                verified = head.Size;
            }
            return true;
        }

        var stopped = !CheckHeads();
        if (!stopped)
        {
            await foreach (var row in store.ReadRecordsAsync(0, long.MaxValue, cancellationToken).ConfigureAwait(false))
            {
                var expected = range.Size;
                if (row.Index != expected)
                {
                    Bad(expected, LedgerCodes.EntryMissing, $"record {expected} is missing (the next row is {row.Index})");
                    stopped = true;
                    break;
                }
                if (!SumDbLog.IsValidRecordText(row.Text))
                {
                    Bad(expected, LedgerCodes.RecordMalformed, $"record {expected} ({row.Path}@{row.Version}) is not valid record text", row);
                    stopped = true;
                    break;
                }
                if (!NamesModule(row))
                {
                    Bad(expected, LedgerCodes.RecordColumnMismatch, $"record {expected} is stored as {row.Path}@{row.Version} but its lines name another module version", row);
                    stopped = true;
                    break;
                }
                if (!modules.Add((row.Path, row.Version)))
                {
                    Bad(expected, LedgerCodes.RecordDuplicate, $"record {expected} is a second record of {row.Path}@{row.Version}; the first is final", row);
                    stopped = true;
                    break;
                }
                var leaf = MerkleHash.Leaf(row.Text);
                if (!leaf.AsSpan().SequenceEqual(row.LeafHash))
                {
                    Bad(expected, LedgerCodes.EntryLeafHashMismatch, $"record {expected} ({row.Path}@{row.Version}) does not hash to its stored leaf hash", row,
                        new Dictionary<string, string> { ["expected"] = Convert.ToHexStringLower(row.LeafHash), ["calculated"] = Convert.ToHexStringLower(leaf) });
                    stopped = true;
                    break;
                }
                var subtrees = AuditLedger.AppendLeaf(range, leaf);
                if (!nodeProblem && !subtrees.AsSpan().SequenceEqual(row.SubtreeHashes))
                {
                    // Tiles served over these hashes would be wrong (and the go command would refuse them); the records are intact.
                    nodeProblem = true;
                    findings.Add(new Finding(LedgerCodes.NodeMismatch, $"the subtree hashes stored with record {expected} differ from the replayed ones",
                        new Dictionary<string, string> { ["entry"] = Str(expected) }));
                }
                if (!CheckHeads())
                {
                    stopped = true;
                    break;
                }
            }
        }
        if (!stopped)
            foreach (var head in heads.Skip(next))
                Bad(range.Size, LedgerCodes.CheckpointBeyondLog, $"the signed tree head of size {head.Size} covers records the log no longer has",
                    evidence: new Dictionary<string, string> { ["size"] = Str(head.Size), ["logSize"] = Str(range.Size) });
        if (findings.Count == 0 && range.Size > 0 && verified == 0)
            Bad(0, LedgerCodes.CheckpointNone, $"no tree head signed by {key.Name} covers any of the {range.Size} records");
        return new LedgerAuditReport(range.Size, rows, verified, firstBad, findings);
    }

    /// <summary>Every line of the record is a go.sum line of the module version the row is keyed by.</summary>
    private static bool NamesModule(SumDbRow row)
    {
        var content = $"{row.Path} {row.Version} ";
        var goMod = $"{row.Path} {row.Version}/go.mod ";
        var text = Encoding.UTF8.GetString(row.Text);
        return text[..^1].Split('\n').All(line => line.StartsWith(content, StringComparison.Ordinal) || line.StartsWith(goMod, StringComparison.Ordinal));
    }

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);
}
