using System.Text;
using Attest.Core.IO;
using Attest.Core.Transparency;

namespace Attest.Ledger;

/// <summary>
/// The highest checkpoint this process's ledger has signed or verified, kept outside the database (beside the keys in
/// the data directory) so that database access alone cannot roll the log back: a store whose signed history ends
/// below the mark, or whose tree at the mark's size has another root, is refused. The file holds the signed note
/// itself, so it needs no integrity of its own: a mark the ledger's keys did not sign is refused too. Written to a
/// temporary file of the writer's own, flushed and renamed, owner-only.
/// </summary>
public sealed class CheckpointHighWaterMark(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

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

    /// <summary>Replaces the mark with <paramref name="note"/> (durably: a crash leaves the old mark or the new one).</summary>
    public void Write(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // A name of this writer's own: replicas sharing a data directory (or two ledgers in one process) may write the
        // mark at the same moment, and must not truncate or move each other's half-written file.
        var temporary = $"{Path}.tmp-{Environment.ProcessId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(note));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path, overwrite: true);
    }
}
