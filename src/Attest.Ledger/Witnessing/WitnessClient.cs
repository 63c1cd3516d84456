using System.Net.Http.Headers;
using System.Text;
using Attest.Core.IO;
using Attest.Core.Transparency;

namespace Attest.Ledger.Witnessing;

/// <summary>A witness a log asks for cosignatures: its submission prefix (add-checkpoint is under it) and its cosignature key.</summary>
public sealed record WitnessEndpoint(Uri SubmissionPrefix, NoteVerifierKey Key)
{
    public string Name => Key.Name;

    public Uri AddCheckpointUri => new(SubmissionPrefix.AbsoluteUri.TrimEnd('/') + "/add-checkpoint");
}

/// <summary>What a witness said to one add-checkpoint request.</summary>
public abstract record WitnessAnswer
{
    /// <summary>200 with a cosignature by the witness's key that verifies over the checkpoint (the line, newline included).</summary>
    public sealed record Cosigned(string Line) : WitnessAnswer;

    /// <summary>409: the witness's latest cosigned size for this log is <paramref name="WitnessSize"/>.</summary>
    public sealed record Conflict(long WitnessSize, string Message) : WitnessAnswer;

    /// <summary>Any other answer (403 not our key, 404 unknown log, 422 inconsistent, a 200 without a valid cosignature…).</summary>
    public sealed record Refused(int Status, string Message) : WitnessAnswer;
}

/// <summary>The log side of c2sp.org/tlog-witness: posts a checkpoint with a consistency proof and checks the cosignature
/// that comes back against the witness's configured key. Answers are read up to a small bound; a witness can make a
/// request fail or time out, never make the log accept a line its key did not sign.</summary>
public static class WitnessClient
{
    /// <summary>Largest answer read: a few signature lines, or an error text.</summary>
    public const int MaxResponseBytes = 16 * 1024;

    public static async Task<WitnessAnswer> AddCheckpointAsync(HttpClient http, WitnessEndpoint witness, string checkpointNote, long oldSize,
        IReadOnlyList<byte[]> proof, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(witness);
        ArgumentNullException.ThrowIfNull(checkpointNote);
        var body = new AddCheckpointRequest(oldSize, proof, Encoding.UTF8.GetBytes(checkpointNote)).ToBytes();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(AddCheckpointRequest.ContentType);
        using var response = await http.PostAsync(witness.AddCheckpointUri, content, cancellationToken).ConfigureAwait(false);
        var text = await ReadBoundedAsync(response.Content, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (status == 409)
        {
            var sizeText = text.EndsWith('\n') ? text[..^1] : text;
            return AddCheckpointRequest.TryParseSize(sizeText, out var size)
                ? new WitnessAnswer.Conflict(size, $"the witness has cosigned size {size}")
                : new WitnessAnswer.Refused(409, "409 without a tree size");
        }
        if (status != 200) return new WitnessAnswer.Refused(status, Clip(text.Trim()));

        // Concatenated to the checkpoint, the answer is a note; only a line by the configured key counts.
        var note = checkpointNote + text;
        if (!SignedNote.TryParse(Encoding.UTF8.GetBytes(note), out var parsed, out var error))
            return new WitnessAnswer.Refused(status, $"the answer is not signature lines: {error.Message}");
        var text8 = Encoding.UTF8.GetBytes(parsed.Text);
        foreach (var signature in parsed.Signatures)
        {
            if (signature.KeyName != witness.Key.Name || signature.KeyHash != witness.Key.KeyHash) continue;
            if (!witness.Key.Verify(text8, signature.Signature)) return new WitnessAnswer.Refused(status, "the witness's cosignature does not verify");
            return new WitnessAnswer.Cosigned(Line(signature));
        }
        return new WitnessAnswer.Refused(status, $"no cosignature by {witness.Key.Name}+{witness.Key.KeyHash:x8} in the answer");
    }

    /// <summary>A note signature line in wire form.</summary>
    public static string Line(NoteSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var blob = new byte[4 + signature.Signature.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob, signature.KeyHash);
        signature.Signature.CopyTo(blob, 4);
        return $"— {signature.KeyName} {Convert.ToBase64String(blob)}\n";
    }

    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var body = await BoundedRead.ReadAllAsync(stream, MaxResponseBytes, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"the witness answered more than {MaxResponseBytes} bytes");
        return Encoding.UTF8.GetString(body);
    }

    private static string Clip(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
