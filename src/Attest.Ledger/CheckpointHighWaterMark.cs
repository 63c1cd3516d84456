using System.Text;
using Attest.Core.IO;
using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>
/// The highest checkpoint this process's ledger has signed or verified, kept outside the database (beside the keys in
/// the data directory) so that database access alone cannot roll the log back: a store holding fewer entries than the
/// mark's size, or whose tree at that size has another root, is refused. The file holds the signed note itself, so it
/// needs no integrity of its own: a mark the ledger's keys did not sign is refused too. Written to a temporary file of
/// the writer's own and renamed over the mark, owner-only.
/// The mark is in place (in the page cache) before the checkpoint it names is handed to anyone, which is what stops a
/// rollback by someone with database access: they cannot make the process forget it. It reaches the disk within
/// <see cref="SyncDelay"/> (one fsync for all marks written meanwhile), and on <see cref="Sync"/> at shutdown, rather
/// than with an fsync per checkpoint, which under load cost more than anything else a checkpoint does. Only a machine
/// crash within that delay can take the mark back to an earlier checkpoint, never past the entries it names (they were
/// durable before it was signed).
/// </summary>
public sealed class CheckpointHighWaterMark(string path, TimeSpan? syncDelay = null)
{
    public static readonly TimeSpan DefaultSyncDelay = TimeSpan.FromSeconds(1);

    /// <summary>1 while a written mark has not been flushed to disk (and a flush is scheduled).</summary>
    private int _unsynced;

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>How long a written mark may stay in the page cache before it is flushed.</summary>
    public TimeSpan SyncDelay { get; } = syncDelay ?? DefaultSyncDelay;

    /// <summary>Whether every mark written so far has been flushed to disk.</summary>
    public bool Synced => Volatile.Read(ref _unsynced) == 0;

    /// <summary>The marked checkpoint's note, or null when there is none yet.</summary>
    public string? ReadNote()
    {
        if (RegularFile.Status(Path).Kind == FileKind.Missing) return null;
        using var stream = RegularFile.OpenRead(Path);
        if (stream.Length > TransparencyLimits.MaxNoteBytes)
            throw new LedgerCorruptException($"checkpoint high-water mark {Path} is larger than a checkpoint note");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Replaces the mark with <paramref name="note"/> (atomically: a reader sees the old mark or the new one)
    /// and schedules its flush to disk.</summary>
    public void Write(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // A name of this writer's own: replicas sharing a data directory (or two ledgers in one process) may write the
        // mark at the same moment, and must not truncate or move each other's half-written file.
        var temporary = $"{Path}.tmp-{Environment.ProcessId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options)) stream.Write(Encoding.UTF8.GetBytes(note));
        File.Move(temporary, Path, overwrite: true);
        if (Interlocked.Exchange(ref _unsynced, 1) == 0)
            _ = Task.Delay(SyncDelay).ContinueWith(static (_, mark) => ((CheckpointHighWaterMark)mark!).Sync(), this,
                CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Flushes the current mark to disk if a write since the last flush has not reached it.</summary>
    public void Sync()
    {
        if (Interlocked.Exchange(ref _unsynced, 0) == 0) return;
        try
        {
            // Whatever mark is current now: a write after this open schedules a flush of its own.
            using var stream = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            stream.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing to flush (the directory is gone) or no way to: the mark still guards this process, and the next
            // write schedules another flush.
        }
    }
}
