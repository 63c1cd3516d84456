using System.Globalization;
using System.Text;
using Attest.Core.Transparency;

namespace Attest.Ledger.Witnessing;

/// <summary>A log a witness vouches for: its origin line and the keys its checkpoints are signed with.</summary>
public sealed record WitnessedLog(string Origin, IReadOnlyList<NoteVerifierKey> Keys);

/// <summary>A witness's answer, in HTTP terms (c2sp.org/tlog-witness). <see cref="Refusal"/> says why a checkpoint was
/// not cosigned (for the witness's own log: a refused checkpoint may be evidence of a misbehaving log).</summary>
public sealed record WitnessResponse(int StatusCode, string ContentType, string Body, string? Refusal)
{
    public bool IsCosigned => StatusCode == 200;
}

/// <summary>
/// The witness side of c2sp.org/tlog-witness <c>add-checkpoint</c>: verifies the log's signature, checks the request's
/// old size against the latest checkpoint it cosigned for that origin, checks the consistency proof from that
/// checkpoint, records the new one and only then returns its Ed25519 cosignature (c2sp.org/tlog-cosignature). A
/// rolled-back log (smaller size), a fork (same size, another root, or a proof that does not verify) is refused,
/// and never cosigned.
/// </summary>
public sealed class Witness
{
    private const string Text = "text/plain; charset=utf-8";
    private readonly Ed25519CosignatureSigner _signer;
    private readonly Dictionary<string, WitnessedLog> _logs;
    private readonly WitnessStateStore _state;
    // One request per log at a time in this process; the store's compare-and-swap covers other processes.
    private readonly Dictionary<string, SemaphoreSlim> _gates;

    public Witness(Ed25519CosignatureSigner signer, IReadOnlyList<WitnessedLog> logs, WitnessStateStore state)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(logs);
        ArgumentNullException.ThrowIfNull(state);
        _signer = signer;
        _state = state;
        _logs = logs.ToDictionary(l => l.Origin, StringComparer.Ordinal);
        _gates = logs.ToDictionary(l => l.Origin, _ => new SemaphoreSlim(1, 1), StringComparer.Ordinal);
    }

    /// <summary>The key clients verify this witness's cosignatures with.</summary>
    public NoteVerifierKey VerifierKey => _signer.VerifierKey;

    public IReadOnlyCollection<WitnessedLog> Logs => _logs.Values;

    public async Task<WitnessResponse> AddCheckpointAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        if (!AddCheckpointRequest.TryParse(body.Span, out var request, out var requestError)) return Refuse(400, requestError);
        if (!SignedNote.TryParse(request.Checkpoint, out var note, out var noteError)) return Refuse(400, $"checkpoint note: {noteError.Message}");
        if (!Checkpoint.TryParse(note.Text, out var unverified, out var parseError)) return Refuse(400, $"checkpoint: {parseError.Message}");
        if (!_logs.TryGetValue(unverified.Origin, out var log)) return Refuse(404, $"unknown log origin '{Clip(unverified.Origin)}'");
        if (!Checkpoint.TryOpen(request.Checkpoint, log.Origin, log.Keys, out var checkpoint, out var signatureError))
            return Refuse(403, $"checkpoint is not signed by a key of {log.Origin}: {signatureError.Message}");
        if (request.OldSize > checkpoint.Size) return Refuse(400, $"old size {request.OldSize} is larger than the checkpoint's {checkpoint.Size}");
        if (request.OldSize == 0 && request.Proof.Count > 0) return Refuse(400, "the consistency proof must be empty when the old size is 0");

        var gate = _gates[log.Origin];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var latest = await _state.GetAsync(log.Origin, cancellationToken).ConfigureAwait(false);
            var latestSize = latest?.Size ?? 0;
            if (request.OldSize != latestSize)
                return Conflict(latestSize, $"old size {request.OldSize} is not the latest cosigned size {latestSize} of {log.Origin}");
            if (latest is not null)
            {
                if (checkpoint.Size == latest.Size && !checkpoint.RootHash.AsSpan().SequenceEqual(latest.RootHash))
                    return Conflict(latestSize, $"fork: a checkpoint of size {checkpoint.Size} with another root than the one cosigned for {log.Origin}");
                var proof = new ConsistencyProof(latest.Size, checkpoint.Size, request.Proof);
                var result = proof.Verify(latest.RootHash, checkpoint.RootHash);
                if (!result.IsValid)
                    return Refuse(422, $"checkpoint of size {checkpoint.Size} is not consistent with the cosigned size {latest.Size} of {log.Origin}: {result.Failure!.Message}");
            }
            var next = new WitnessedCheckpoint(log.Origin, checkpoint.Size, checkpoint.RootHash, Encoding.UTF8.GetString(request.Checkpoint));
            if (!await _state.TryAdvanceAsync(latest, next, cancellationToken).ConfigureAwait(false))
            {
                var now = await _state.GetAsync(log.Origin, cancellationToken).ConfigureAwait(false);
                return Conflict(now?.Size ?? 0, $"another request moved {log.Origin} first");
            }
        }
        finally
        {
            gate.Release();
        }

        // Persisted first, then signed: a cosignature never exists for a state the witness did not record.
        var line = SignedNote.Sign(note.Text, _signer).ToString();
        return new WitnessResponse(200, Text, line[(note.Text.Length + 1)..], null);
    }

    private static WitnessResponse Refuse(int status, string reason) => new(status, Text, reason + "\n", reason);

    private static WitnessResponse Conflict(long size, string reason) =>
        new(409, AddCheckpointRequest.SizeContentType, size.ToString(CultureInfo.InvariantCulture) + "\n", reason);

    private static string Clip(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
