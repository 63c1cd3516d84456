using System.Globalization;
using System.Text;
using Attest.Core;
using Attest.Core.Transparency;

namespace Attest.Ledger.Witnessing;

/// <summary>What the witness part of an audit found: the largest checkpoint the required witnesses cosigned (0 when none).</summary>
public sealed record WitnessAuditReport(long WitnessedSize, IReadOnlyList<Finding> Findings)
{
    public bool IsValid => Findings.Count == 0;
}

/// <summary>
/// <c>attest ledger verify --witness-vkey … --witnesses-required N</c>: a log's own signature says what the log claims;
/// only cosignatures of independent witnesses, each of which refuses a checkpoint inconsistent with one it cosigned
/// before, say that nobody was shown another history. The audit fails when no checkpoint signed by the log carries
/// N valid cosignatures of the named witnesses.
/// </summary>
public static class WitnessAudit
{
    /// <summary>Candidate sizes examined (newest first) before giving up on a stored log.</summary>
    private const int MaxCandidates = 64;

    /// <summary>Checks one checkpoint note (say, the one a log serves): signed by the log, cosigned by the quorum.</summary>
    public static WitnessAuditReport CheckNote(ReadOnlySpan<byte> note, LedgerAuditOptions trust, CosignatureQuorum quorum)
    {
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(quorum);
        if (!LedgerTrust.TryOpenCheckpoint(note, trust, out var checkpoint, out var refusal)) return new WitnessAuditReport(0, [refusal]);
        if (!SignedNote.TryParse(note, out var parsed, out var error)) return new WitnessAuditReport(0, [error]);
        var count = quorum.Count(parsed);
        return count.Count >= quorum.Required
            ? new WitnessAuditReport(checkpoint.Size, InvalidFindings(checkpoint.Size, count))
            : new WitnessAuditReport(0, [Unwitnessed(checkpoint.Size, count, quorum), .. InvalidFindings(checkpoint.Size, count)]);
    }

    /// <summary>Checks the checkpoints of a stored log with the cosignatures stored beside them: the newest one the
    /// quorum cosigned is the witnessed size; none is a finding.</summary>
    public static async Task<WitnessAuditReport> CheckStoreAsync(ILedgerStore store, CosignatureStore cosignatures, LedgerAuditOptions trust,
        CosignatureQuorum quorum, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(cosignatures);
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(quorum);
        var bySize = new Dictionary<long, StoredCheckpoint>();
        await foreach (var row in store.ReadCheckpointsAsync(cancellationToken).ConfigureAwait(false)) bySize[row.Size] = row;
        var findings = new List<Finding>();
        CosignatureCount? best = null;
        long bestSize = -1;
        foreach (var size in await cosignatures.SizesWithAtLeastAsync(1, MaxCandidates, cancellationToken).ConfigureAwait(false))
        {
            if (!bySize.TryGetValue(size, out var row)) continue;
            var note = Encoding.UTF8.GetBytes(await cosignatures.CosignedNoteAsync(row, cancellationToken).ConfigureAwait(false));
            var report = CheckNote(note, trust, quorum);
            findings.AddRange(report.Findings.Where(f => f.Code == LedgerCodes.CosignatureInvalid));
            if (report.WitnessedSize > 0)
                return new WitnessAuditReport(report.WitnessedSize, findings);
            if (SignedNote.TryParse(note, out var parsed, out _))
            {
                var count = quorum.Count(parsed);
                if (best is null || count.Count > best.Count) (best, bestSize) = (count, size);
            }
        }
        var latest = bySize.Count == 0 ? 0 : bySize.Keys.Max();
        findings.Insert(0, Unwitnessed(bestSize >= 0 ? bestSize : latest, best ?? new CosignatureCount([], []), quorum));
        return new WitnessAuditReport(0, findings);
    }

    private static Finding Unwitnessed(long size, CosignatureCount count, CosignatureQuorum quorum) => new(LedgerCodes.CheckpointUnwitnessed,
        $"no checkpoint carries {quorum.Required.ToString(CultureInfo.InvariantCulture)} cosignatures of the named witnesses " +
        $"(checkpoint {size.ToString(CultureInfo.InvariantCulture)} has {count.Count.ToString(CultureInfo.InvariantCulture)}" +
        (count.Count > 0 ? $": {string.Join(", ", count.CosignedBy.Select(k => k.Name))})" : ")"),
        new Dictionary<string, string>
        {
            ["size"] = size.ToString(CultureInfo.InvariantCulture),
            ["required"] = quorum.Required.ToString(CultureInfo.InvariantCulture),
            ["cosignedBy"] = string.Join(",", count.CosignedBy.Select(k => k.Name)),
            ["witnesses"] = string.Join(",", quorum.Witnesses.Select(k => k.Name)),
        });

    private static List<Finding> InvalidFindings(long size, CosignatureCount count) =>
        [.. count.Invalid.Select(key => new Finding(LedgerCodes.CosignatureInvalid,
            $"the cosignature of witness {key} on checkpoint {size.ToString(CultureInfo.InvariantCulture)} does not verify",
            new Dictionary<string, string> { ["size"] = size.ToString(CultureInfo.InvariantCulture), ["witness"] = key }))];
}
