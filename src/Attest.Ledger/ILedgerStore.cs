namespace Attest.Ledger;

/// <summary>
/// Persistence for the append-only ledger. Implementations store bytes and coordinate writers; the
/// Merkle algorithm lives in Attest.Core/Transparency, never in a store.
/// </summary>
public interface ILedgerStore : IAsyncDisposable
{
    /// <summary>Human-readable description of where the ledger lives (a file path or a host), never a secret.</summary>
    string Location { get; }

    /// <summary>Number of entries in the log. MUST reflect only committed, durable entries.</summary>
    Task<long> GetSizeAsync(CancellationToken cancellationToken = default);
}
