namespace Attest.Ledger;

/// <summary>When the SQLite ledger copies its write-ahead log into the database file (checkpoints).</summary>
internal sealed record SqliteWalOptions
{
    public static readonly SqliteWalOptions Default = new();

    /// <summary>How long the background checkpointer lets commits gather before it copies the WAL; null turns it off
    /// (the writer then checkpoints inside its commits, at <see cref="WriterCheckpointPages"/>).</summary>
    public TimeSpan? BackgroundCheckpointDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>WAL pages past which the writer checkpoints inside a commit (SQLite's wal_autocheckpoint). With the
    /// background checkpointer on, only a backstop that bounds the WAL (~40 MB at 4 KiB pages) if it falls behind.</summary>
    public int WriterCheckpointPages { get; init; } = 10_000;

    /// <summary>WAL pages (~4 MB at 4 KiB pages) past which, seen at two wake-ups in a row without the WAL starting
    /// over in between, the background checkpointer runs one checkpoint that holds new commits back until it has copied
    /// everything, so the next commit starts the WAL over. Passive checkpoints miss that moment when commits land back
    /// to back or faster than they copy (a slow disk, a sustained burst).</summary>
    public int CatchUpRestartPages { get; init; } = 1_000;
}
