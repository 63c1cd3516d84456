namespace Attest.Ledger;

/// <summary>How the ledger publishes checkpoints. Defaults follow Tessera's (batch 256; checkpoints often).</summary>
public sealed record AuditLedgerOptions
{
    public const int DefaultCheckpointEveryEntries = 1024;
    public static readonly TimeSpan DefaultCheckpointInterval = TimeSpan.FromSeconds(1);

    /// <summary>The checkpoint origin line, e.g. <c>attest.example.com/ledger</c>; the log's identity.</summary>
    public required string Origin { get; init; }

    /// <summary>Publish a checkpoint once this many entries are not yet covered by one (N).</summary>
    public int CheckpointEveryEntries { get; init; } = DefaultCheckpointEveryEntries;

    /// <summary>Publish a checkpoint this long after the last one when entries are waiting for one (T).</summary>
    public TimeSpan CheckpointInterval { get; init; } = DefaultCheckpointInterval;

    /// <summary>Keys that signed this log's earlier checkpoints before a rotation: the latest stored checkpoint may be
    /// signed by one of them (new checkpoints are signed by the current signers only).</summary>
    public IReadOnlyList<Attest.Core.Transparency.NoteVerifierKey> PreviousVerifierKeys { get; init; } = [];

    /// <summary>Where the highest checkpoint this ledger signed is kept, outside the store (null: nowhere, as for the CLI).
    /// With it, a store rolled back below that checkpoint is refused (<see cref="CheckpointHighWaterMark"/>).</summary>
    public CheckpointHighWaterMark? HighWaterMark { get; init; }

    /// <summary>Entries committed in one transaction at most.</summary>
    public int MaxBatchEntries { get; init; } = LedgerLimits.MaxBatchEntries;

    /// <summary>Appends waiting for the sequencer at most; one more is refused at once with
    /// <see cref="LedgerBusyException"/> (pushback) instead of waiting for room.</summary>
    public int MaxPendingAppends { get; init; } = LedgerLimits.MaxPendingAppends;

    /// <summary>Every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Origin) || Origin.Any(char.IsControl)) errors.Add("Origin must be one non-empty line");
        if (CheckpointEveryEntries < 1) errors.Add("CheckpointEveryEntries must be at least 1");
        if (CheckpointInterval <= TimeSpan.Zero) errors.Add("CheckpointInterval must be positive");
        if (MaxBatchEntries is < 1 or > LedgerLimits.MaxBatchEntries) errors.Add($"MaxBatchEntries must be within 1..{LedgerLimits.MaxBatchEntries}");
        if (MaxPendingAppends < 1) errors.Add("MaxPendingAppends must be at least 1");
        return errors;
    }
}
