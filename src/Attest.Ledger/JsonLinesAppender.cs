using System.Text.Json;

namespace Attest.Ledger;

/// <summary>
/// Appends one entry per JSON line (an object: the entry's details) with a given kind: many appends in flight at once,
/// up to one sequencer batch, so that they share transactions, and never more than the ledger's queue holds. Each
/// line's outcome is reported as it becomes durable (or fails); a bad line is reported and skipped, the others are
/// still appended.
/// </summary>
public static class JsonLinesAppender
{
    /// <summary>Appends every non-blank line of <paramref name="lines"/>; returns how many failed.</summary>
    /// <param name="appended">Called (serialized) with the entry's index and the line number once it is durable.</param>
    /// <param name="failed">Called (serialized) with the line number and why it was not appended.</param>
    public static async Task<int> AppendAsync(AuditLedger ledger, string kind, IAsyncEnumerable<string> lines,
        Action<long, int> appended, Action<int, string> failed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(lines);
        var failures = 0;
        var reporting = new Lock();
        void Fail(int line, string why)
        {
            lock (reporting) failed(line, why);
            Interlocked.Increment(ref failures);
        }

        using var gate = new SemaphoreSlim(LedgerLimits.MaxBatchEntries);
        var pending = new List<Task>();
        var lineNumber = 0;
        await foreach (var line in lines.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            LedgerEntry entry;
            try
            {
                // A line longer than any entry can be is refused before it is parsed.
                if (line.Length > LedgerLimits.MaxEntryBytes) throw new ArgumentException($"the line is longer than {LedgerLimits.MaxEntryBytes} characters, more than an entry may hold");
                using var document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = LedgerLimits.MaxJsonDepth });
                entry = new LedgerEntry { Kind = kind, Details = document.RootElement.Clone() };
                LedgerEntryCodec.Validate(entry);
            }
            catch (Exception e) when (e is JsonException or ArgumentException)
            {
                Fail(lineNumber, e.Message);
                continue;
            }
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            var number = lineNumber;
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    var index = await ledger.AppendAsync(entry, cancellationToken).ConfigureAwait(false);
                    lock (reporting) appended(index, number);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Fail(number, e.Message);
                }
                finally
                {
                    gate.Release();
                }
            }, CancellationToken.None));
        }
        await Task.WhenAll(pending).ConfigureAwait(false);
        return failures;
    }
}
