namespace Attest.Ledger;

/// <summary>
/// SQLite files holding the ledger or credentials are owner-only (0600). SQLite creates a database's <c>-wal</c>,
/// <c>-shm</c> and <c>-journal</c> files with the database file's own permissions, so the database is created 0600
/// before SQLite first opens it (an empty file is a valid new database), and files an earlier version left readable
/// by others are narrowed.
/// </summary>
public static class SqliteFileModes
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                               UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="databasePath"/> owner-only if it is missing, and narrows it and its companions.</summary>
    public static void MakeOwnerOnly(string databasePath)
    {
        ArgumentNullException.ThrowIfNull(databasePath);
        if (OperatingSystem.IsWindows()) return;
        if (!File.Exists(databasePath))
        {
            try
            {
                using var created = new FileStream(databasePath, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
            }
            catch (IOException) when (File.Exists(databasePath))
            {
                // Another process created it first; narrowed below like any existing file.
            }
        }
        foreach (var path in new[] { databasePath, databasePath + "-wal", databasePath + "-shm", databasePath + "-journal" })
        {
            if (File.Exists(path) && (File.GetUnixFileMode(path) & GroupOrOther) != 0)
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~GroupOrOther);
        }
    }

    /// <summary>The full path of a database file (its directory created, the file owner-only) and the pooled read-write
    /// connection string every store of that file uses.</summary>
    public static (string FullPath, string ConnectionString) PrepareFile(string path)
    {
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        MakeOwnerOnly(fullPath);
        var connectionString = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
        return (fullPath, connectionString);
    }
}
