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
}
