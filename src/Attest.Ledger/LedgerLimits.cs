namespace Attest.Ledger;

/// <summary>Bounds on what the ledger accepts and reads back.</summary>
public static class LedgerLimits
{
    /// <summary>Serialized entry size; tlog-tiles entry bundles carry a uint16 length, so larger entries could not
    /// be exported. Large evidence (SBOMs, bundles) belongs elsewhere, referenced by digest.</summary>
    public const int MaxEntryBytes = 65_535;

    /// <summary>JSON nesting accepted in an entry's details.</summary>
    public const int MaxJsonDepth = 32;

    /// <summary>Kind names and query fields (image, digest, namespace, verdict, client).</summary>
    public const int MaxFieldLength = 2048;

    /// <summary>Entries committed in one transaction (Tessera's default batch is 256).</summary>
    public const int MaxBatchEntries = 256;

    /// <summary>Appends waiting for the sequencer by default; beyond this, appends are refused at once (pushback).</summary>
    public const int MaxPendingAppends = 4096;

    /// <summary>Rows returned by one query or export page.</summary>
    public const int MaxPageSize = 10_000;
}
