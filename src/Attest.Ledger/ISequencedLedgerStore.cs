namespace Attest.Ledger;

/// <summary>
/// A store several replicas write at once (PostgreSQL): instead of failing a commit that another replica got ahead of
/// (<see cref="LedgerConflictException"/>, then reload and retry, which a busy replica can make another lose again and
/// again), it gives each commit a turn: under its sequencer lock it reads the log's size and asks the ledger for the
/// rows that go there.
/// </summary>
public interface ISequencedLedgerStore : ILedgerStore
{
    /// <summary>In one transaction under the sequencer lock: reads the log's size, calls <paramref name="build"/> with it
    /// for the rows to append at that size (none: nothing is written), writes them, commits. Durable on return.</summary>
    Task CommitInTurnAsync(Func<long, CancellationToken, Task<IReadOnlyList<LedgerRow>>> build, CancellationToken cancellationToken = default);
}
