namespace Attest.Ledger;

/// <summary>Wires Microsoft.Data.Sqlite to the bundled e_sqlite3 native library exactly once.</summary>
internal static class SqliteProvider
{
    private static readonly Lazy<bool> Initialized = new(() =>
    {
        SQLitePCL.Batteries_V2.Init();
        return true;
    });

    public static void EnsureInitialized() => _ = Initialized.Value;

    /// <summary>The full path of a database file (its directory created) and the pooled read-write connection string
    /// every store of that file uses.</summary>
    public static (string FullPath, string ConnectionString) PrepareFile(string path)
    {
        EnsureInitialized();
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var connectionString = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
        return (fullPath, connectionString);
    }
}
