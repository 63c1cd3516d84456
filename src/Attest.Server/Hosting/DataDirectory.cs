namespace Attest.Server.Hosting;

/// <summary>The data directory holds the ledger, the client store (secret hashes) and the keys: it is created 0700,
/// and one an earlier version left open to group or others is narrowed (a warning says so when it cannot be, say on a
/// volume owned by another user; the files inside stay owner-only either way).</summary>
internal static partial class DataDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void CreateOwnerOnly(string path, ILogger logger)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, OwnerOnly);
        var mode = File.GetUnixFileMode(path);
        if ((mode & ~OwnerOnly) == 0) return;
        try
        {
            File.SetUnixFileMode(path, mode & OwnerOnly);
            Log.Narrowed(logger, path, Convert.ToString((int)mode, 8));
        }
        catch (UnauthorizedAccessException e)
        {
            Log.Open(logger, path, Convert.ToString((int)mode, 8), e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.DataDirectoryNarrowed, Level = LogLevel.Warning, Message = "Data directory {Path} was mode {Mode}; narrowed to 700 (owner only)")]
        public static partial void Narrowed(ILogger logger, string path, string mode);

        [LoggerMessage(EventId = LogEvents.DataDirectoryOpen, Level = LogLevel.Warning, Message = "Data directory {Path} is mode {Mode} and cannot be narrowed to 700 ({Reason}); its files stay owner-only")]
        public static partial void Open(ILogger logger, string path, string mode, string reason);
    }
}
