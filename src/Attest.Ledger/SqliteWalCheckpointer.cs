using Dapper;
using Microsoft.Data.Sqlite;

namespace Attest.Ledger;

/// <summary>
/// Copies the WAL into the database file on its own connection and thread. Left to SQLite, the checkpoint runs
/// inside the entry commit that crosses wal_autocheckpoint: measured at 1,000 admissions/s, one commit in ~150
/// took 2.5-3.7 ms instead of ~0.5 ms (a WAL fsync, the page copy and a database fsync), and every append queued
/// behind it waited too (moved here, the commit p99 went from ~1.8 to ~1.0-1.4 ms on a quiet machine, more under
/// load). A PASSIVE checkpoint neither blocks nor waits for the writer;
/// with synchronous=FULL on its connection it syncs the WAL before copying and the database before the WAL may be
/// reused, so durability is SQLite's own. Once a checkpoint has copied everything, the next commit starts the WAL
/// from its beginning, which keeps the file small. When commits land faster than a passive checkpoint copies
/// them (a slow disk, a sustained burst), or each commit begins before the copy ends, the WAL never starts over and
/// would grow to the writer's own bound; past a smaller one, the checkpointer holds commits back (the store's write
/// lock) while it copies what its passive rounds left, so the next commit starts the WAL over. SQLite's own blocking
/// modes (FULL, RESTART) wait through a polling busy handler, which back-to-back commits keep winning.
/// </summary>
internal sealed class SqliteWalCheckpointer : IDisposable
{
    /// <summary>Checkpoints in a row while commits keep landing during one: the rest after each is small, and the
    /// WAL can only restart after one that copied everything.</summary>
    private const int MaxCatchUp = 4;

    private readonly string _connectionString;
    private readonly TimeSpan _delay;
    private readonly int _restartPages;
    private readonly SemaphoreSlim _writeLock;
    private readonly Action<SqliteException> _failed;
    private readonly SemaphoreSlim _committed = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _thread;
    private long _completed;
    private long _heldBack;

    /// <param name="failed">Told of a checkpoint that failed (the writer's own checkpoint still bounds the WAL).</param>
    /// <param name="restartPages">WAL pages past which a checkpoint holds commits back until the WAL can start over.</param>
    /// <param name="writeLock">The store's write lock, which every commit holds.</param>
    public SqliteWalCheckpointer(string connectionString, TimeSpan delay, int restartPages, SemaphoreSlim writeLock, Action<SqliteException> failed)
    {
        _connectionString = connectionString;
        _delay = delay;
        _restartPages = restartPages;
        _writeLock = writeLock;
        _failed = failed;
        // A thread of its own: the checkpoint blocks in SQLite (no async I/O) for milliseconds.
        _thread = new Thread(Run) { IsBackground = true, Name = "ledger WAL checkpoint" };
        _thread.Start();
    }

    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Checkpoints that held commits back so that the WAL could start over.</summary>
    public long HeldBackCheckpoints => Interlocked.Read(ref _heldBack);

    /// <summary>Called after each commit; cheap, and at most one wake-up is pending.</summary>
    public void Committed()
    {
        if (_committed.CurrentCount != 0) return;
        try
        {
            _committed.Release();
        }
        catch (SemaphoreFullException)
        {
            // Another commit signalled first; one pending wake-up covers both.
        }
        catch (ObjectDisposedException)
        {
            // The store is closing; there is nothing left to checkpoint for.
        }
    }

    private void Run()
    {
        SqliteConnection? connection = null;
        var token = _stopping.Token;
        long framesBefore = 0;
        try
        {
            while (true)
            {
                _committed.Wait(token);
                // Let commits gather: one checkpoint per delay under load, not one per commit.
                if (token.WaitHandle.WaitOne(_delay)) break;
                try
                {
                    connection ??= Open();
                    long walFrames = 0;
                    for (var round = 0; round < MaxCatchUp && !token.IsCancellationRequested; round++)
                    {
                        (var busy, walFrames, var copied) = connection.QuerySingle<(long, long, long)>("PRAGMA wal_checkpoint(PASSIVE)");
                        Interlocked.Increment(ref _completed);
                        if (busy != 0 || copied >= walFrames) break;
                    }
                    // The WAL only starts over when a commit begins after everything was copied; back-to-back commits
                    // can miss that moment every time. Past the bound at two wake-ups in a row without starting over
                    // in between, the rest is copied with commits held back: that stalls the commits for one copy,
                    // so it is kept for a WAL that would otherwise only grow.
                    var stuck = framesBefore >= _restartPages && walFrames >= framesBefore;
                    framesBefore = walFrames;
                    if (stuck) CopyTheRestWithCommitsHeldBack(connection, token);
                }
                catch (SqliteException e)
                {
                    // The writer's own checkpoint still bounds the WAL; reopen and try again after the next commit.
                    connection?.Dispose();
                    connection = null;
                    _failed(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private void CopyTheRestWithCommitsHeldBack(SqliteConnection connection, CancellationToken token)
    {
        _writeLock.Wait(token);
        try
        {
            connection.QuerySingle<(long, long, long)>("PRAGMA wal_checkpoint(PASSIVE)");
        }
        finally
        {
            _writeLock.Release();
        }
        Interlocked.Increment(ref _completed);
        Interlocked.Increment(ref _heldBack);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // FULL: the checkpoint syncs the WAL before it copies and the database file before the WAL is reused.
        connection.Execute("PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;");
        return connection;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _thread.Join();
        _stopping.Dispose();
        _committed.Dispose();
    }
}
