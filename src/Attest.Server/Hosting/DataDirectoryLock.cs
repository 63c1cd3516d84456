using System.Globalization;
using System.Text;

namespace Attest.Server.Hosting;

/// <summary>
/// One server per data directory: two servers on one SQLite ledger and one set of key files would each sign
/// checkpoints over the other's appends and race on the checkpoint high-water mark. The lock is a POSIX record lock
/// (<c>fcntl</c>, through <see cref="FileStream.Lock"/>) on <c>server.lock</c>, held for the life of the process and
/// released by the kernel however the process ends, so a crash leaves nothing to clean up. The file also says who
/// holds it (process id, host, start time, working directory), which a second server quotes when it is refused.
/// Replicas of a PostgreSQL ledger each have their own data directory.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = "server.lock";
    private const int MaxOwnerBytes = 4096;
    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    /// <summary>Takes the lock, or throws a <see cref="StartupException"/> naming the process that holds it.</summary>
    public static DataDirectoryLock Acquire(string dataDirectory, TimeProvider time)
    {
        var path = Path.Combine(dataDirectory, FileName);
        FileStream file;
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            file = new FileStream(path, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"data directory {dataDirectory}: {path} cannot be opened: {e.Message}", e);
        }
        try
        {
            // The file's first byte is the lock (macOS has no such locks in .NET); the record stays readable to others.
            if (!OperatingSystem.IsMacOS()) file.Lock(0, 1);
        }
        catch (IOException e)
        {
            var owner = ReadOwner(file);
            file.Dispose();
            throw new StartupException(
                $"data directory {dataDirectory} is in use by another Attest server ({owner ?? "its process could not be named"}); " +
                "stop that server, or give this one its own Attest:DataDirectory", e);
        }
        var record = string.Create(CultureInfo.InvariantCulture,
            $"process {Environment.ProcessId} on host {Environment.MachineName}, started {time.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ} in {Environment.CurrentDirectory}\n");
        file.SetLength(0);
        file.Write(Encoding.UTF8.GetBytes(record));
        file.Flush(flushToDisk: false);
        return new DataDirectoryLock(file);
    }

    private static string? ReadOwner(FileStream file)
    {
        try
        {
            var buffer = new byte[MaxOwnerBytes];
            file.Position = 0;
            var read = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            var text = Encoding.UTF8.GetString(buffer, 0, read).Trim();
            // Only printable text is quoted back: the file is the other process's, not ours to trust.
            return text.Length == 0 || text.Any(char.IsControl) ? null : text;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _file.Dispose();
}
