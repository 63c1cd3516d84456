using Attest.Ledger;

namespace Attest.Server.Witnessing;

/// <summary>
/// Checkpoints as the server publishes them: the log's signed note with the witnesses' cosignatures appended. The
/// latest checkpoint carries whatever cosignatures have arrived so far; the witnessed checkpoint is the newest one
/// with the configured number of them (the tlog-tiles <c>checkpoint</c> file serves it, so a client requiring
/// cosignatures gets a tree it can check).
/// </summary>
public sealed class PublishedCheckpoints(AuditLedger ledger, WitnessingState state)
{
    /// <summary>The latest checkpoint with the cosignatures stored for it so far; null before the first.</summary>
    public async Task<StoredCheckpoint?> LatestAsync(CancellationToken cancellationToken = default)
    {
        var latest = await ledger.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (latest is null) return latest;
        return latest with { Note = await state.Cosignatures.CosignedNoteAsync(latest, cancellationToken).ConfigureAwait(false) };
    }

    /// <summary>The newest checkpoint the required witnesses cosigned; with no witnesses required, the latest one.</summary>
    public async Task<StoredCheckpoint?> WitnessedAsync(CancellationToken cancellationToken = default)
    {
        if (state.Quorum.Required == 0) return await LatestAsync(cancellationToken).ConfigureAwait(false);
        return await state.Cosignatures.NewestWitnessedAsync(state.Quorum, new LedgerAuditOptions(ledger.Origin, ledger.VerifierKeys),
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The published note of the checkpoint of exactly <paramref name="size"/>: the latest one, or an earlier one
    /// a witness cosigned; null otherwise.</summary>
    public async Task<string?> NoteAtAsync(long size, StoredCheckpoint? latest, CancellationToken cancellationToken = default)
    {
        if (latest is not null && latest.Size == size) return latest.Note;
        return await state.Cosignatures.NoteAtAsync(size, cancellationToken).ConfigureAwait(false);
    }
}
