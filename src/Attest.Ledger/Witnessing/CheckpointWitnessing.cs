using System.Collections.Concurrent;
using Attest.Core.Transparency;

namespace Attest.Ledger.Witnessing;

/// <summary>What happened when one witness was asked about one checkpoint.</summary>
public sealed record WitnessOutcome(string Witness, WitnessOutcomeKind Kind, string? Message = null);

public enum WitnessOutcomeKind
{
    /// <summary>Cosigned now; the line is stored.</summary>
    Cosigned,

    /// <summary>A cosignature for this checkpoint was already stored.</summary>
    AlreadyCosigned,

    /// <summary>The witness has cosigned a larger checkpoint of this log (another replica was faster): nothing to do.</summary>
    WitnessAhead,

    /// <summary>The witness refused: not consistent with what it cosigned before (a fork or rollback), or another refusal.</summary>
    Refused,

    /// <summary>No answer (network, timeout, an answer too large).</summary>
    Unreachable,
}

/// <summary>
/// Asks each configured witness to cosign a checkpoint, with a consistency proof from the size that witness last
/// cosigned (learnt from its 409 answers and remembered), and stores the cosignatures it returns. Witnesses are
/// asked in parallel; one that is down or refuses costs only its own cosignature.
/// </summary>
public sealed class CheckpointWitnessing(ILedgerStore store, CosignatureStore cosignatures, IReadOnlyList<WitnessEndpoint> witnesses, HttpClient http)
{
    private const int MaxAttempts = 3;
    private readonly ConcurrentDictionary<string, long> _witnessSizes = new(StringComparer.Ordinal);

    public IReadOnlyList<WitnessEndpoint> Witnesses => witnesses;

    public async Task<IReadOnlyList<WitnessOutcome>> WitnessAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var stored = await cosignatures.GetAsync(checkpoint.Size, cancellationToken).ConfigureAwait(false);
        var outcomes = await Task.WhenAll(witnesses.Select(w => AskAsync(w, checkpoint, stored, cancellationToken))).ConfigureAwait(false);
        return outcomes;
    }

    private async Task<WitnessOutcome> AskAsync(WitnessEndpoint witness, StoredCheckpoint checkpoint, IReadOnlyList<string> stored, CancellationToken cancellationToken)
    {
        var prefix = $"— {witness.Key.Name} ";
        if (stored.Any(l => l.StartsWith(prefix, StringComparison.Ordinal) && IsBy(l, witness.Key)))
            return new WitnessOutcome(witness.Name, WitnessOutcomeKind.AlreadyCosigned);
        var oldSize = _witnessSizes.GetValueOrDefault(witness.Name);
        if (oldSize > checkpoint.Size) oldSize = 0; // ask again: the witness says where it is
        try
        {
            for (var attempt = 0; attempt < MaxAttempts; attempt++)
            {
                IReadOnlyList<byte[]> proof = oldSize is 0 || oldSize == checkpoint.Size
                    ? []
                    : (await store.GetConsistencyProofAsync(oldSize, checkpoint.Size, cancellationToken).ConfigureAwait(false)).Hashes;
                var answer = await WitnessClient.AddCheckpointAsync(http, witness, checkpoint.Note, oldSize, proof, cancellationToken).ConfigureAwait(false);
                switch (answer)
                {
                    case WitnessAnswer.Cosigned cosigned:
                        await cosignatures.AddAsync(checkpoint, witness.Key, cosigned.Line, cancellationToken).ConfigureAwait(false);
                        _witnessSizes[witness.Name] = checkpoint.Size;
                        return new WitnessOutcome(witness.Name, WitnessOutcomeKind.Cosigned);
                    case WitnessAnswer.Conflict conflict when conflict.WitnessSize > checkpoint.Size:
                        // Another replica may have published (and had cosigned) a newer checkpoint; if the log itself has
                        // none that large, the witness saw a history this database no longer has: a rollback or a fork.
                        var newest = await store.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
                        if (newest is null || newest.Size < conflict.WitnessSize)
                            return new WitnessOutcome(witness.Name, WitnessOutcomeKind.Refused,
                                $"the witness has cosigned size {conflict.WitnessSize}, larger than this log's latest checkpoint {newest?.Size ?? 0}: the log was rolled back or forked");
                        _witnessSizes[witness.Name] = conflict.WitnessSize;
                        return new WitnessOutcome(witness.Name, WitnessOutcomeKind.WitnessAhead, conflict.Message);
                    case WitnessAnswer.Conflict conflict when conflict.WitnessSize == oldSize:
                        // The witness holds exactly the size we sent and still refuses: same size, another root.
                        return new WitnessOutcome(witness.Name, WitnessOutcomeKind.Refused, $"the witness refuses checkpoint {checkpoint.Size}: it cosigned another tree of size {oldSize}");
                    case WitnessAnswer.Conflict conflict:
                        oldSize = conflict.WitnessSize;
                        _witnessSizes[witness.Name] = oldSize;
                        continue;
                    case WitnessAnswer.Refused refused:
                        return new WitnessOutcome(witness.Name, WitnessOutcomeKind.Refused, $"HTTP {refused.Status}: {refused.Message}");
                }
            }
            return new WitnessOutcome(witness.Name, WitnessOutcomeKind.Refused, $"the witness's size kept moving after {MaxAttempts} attempts");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidDataException && !cancellationToken.IsCancellationRequested)
        {
            return new WitnessOutcome(witness.Name, WitnessOutcomeKind.Unreachable, e.Message);
        }
    }

    private static bool IsBy(string line, NoteVerifierKey key)
    {
        var space = line.LastIndexOf(' ');
        var blob = space < 0 ? null : TryBase64(line[(space + 1)..].TrimEnd('\n'));
        return blob is { Length: >= 4 } && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(blob) == key.KeyHash;
    }

    private static byte[]? TryBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : null;
    }
}
