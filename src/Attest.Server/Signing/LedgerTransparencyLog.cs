using System.Security.Cryptography;
using System.Text.Json;
using Attest.Ledger;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Signing;

namespace Attest.Server.Signing;

/// <summary>
/// Attest's ledger as the transparency log of the bundles it issues. The Rekor body becomes a ledger entry whose
/// leaf bytes are themselves a valid body (<c>kind</c>, <c>apiVersion</c>, <c>spec</c>, plus the ledger's own members,
/// which Rekor verifiers ignore), so the bundle's inclusion proof and checkpoint are the ledger's. The SET and the
/// checkpoints are signed by the ledger key, whose log ID (SHA-256 of its SPKI) is in Attest's trusted_root.json.
/// One instance per request: it carries who asked and for what, so the entry is queryable by client and digest.
/// </summary>
public sealed class LedgerTransparencyLog(AuditLedger ledger, ECDsa logKey, byte[] logId, string? client, string? digest, string? image, JsonElement? details, string? identity = null) : ITransparencyLog
{
    /// <summary>Index of the entry this log appended (one per request), so callers need not read it back from the bundle.</summary>
    public long? AppendedIndex { get; private set; }

    public async Task<TransparencyLogEntry> AppendAsync(ReadOnlyMemory<byte> canonicalizedBody, CancellationToken cancellationToken = default)
    {
        string kind, apiVersion;
        JsonElement spec;
        using (var body = JsonDocument.Parse(canonicalizedBody))
        {
            kind = body.RootElement.GetProperty("kind").GetString()!;
            apiVersion = body.RootElement.GetProperty("apiVersion").GetString()!;
            spec = body.RootElement.GetProperty("spec").Clone();
        }
        // One pass of the sequencer: appends that arrive together share one commit and one signed checkpoint.
        var (sequenced, checkpoint) = await ledger.AppendWithCheckpointAsync(new LedgerEntry
        {
            Kind = kind,
            ApiVersion = apiVersion,
            Spec = spec,
            Client = client,
            Digest = digest,
            Image = image,
            Details = details,
            Identity = identity,
        }, cancellationToken).ConfigureAwait(false);
        var index = sequenced.Index;
        AppendedIndex = index;
        return await EntryAsync(ledger, logKey, logId, sequenced, checkpoint, kind, apiVersion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A sequenced entry as a transparency-log client sees it: a fresh SET and the inclusion proof up to <paramref name="checkpoint"/>.</summary>
    public static async Task<TransparencyLogEntry> EntryAsync(AuditLedger ledger, ECDsa logKey, byte[] logId, SequencedEntry sequenced, StoredCheckpoint checkpoint,
        string kind, string apiVersion, CancellationToken cancellationToken)
    {
        var index = sequenced.Index;
        var proof = await ledger.GetInclusionProofAsync(index, checkpoint.Size, cancellationToken).ConfigureAwait(false);
        var integratedTime = sequenced.RecordedAt.ToUnixTimeSeconds();
        // The leaf bytes as the ledger wrote them (with its index and time) are the body verifiers hash.
        var set = logKey.SignData(InMemoryTransparencyLog.SignedEntryTimestampPayload(sequenced.Bytes, integratedTime, logId, index),
            HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new TransparencyLogEntry(index, logId, kind, apiVersion, integratedTime, set,
            new InclusionProof(index, checkpoint.RootHash, checkpoint.Size, proof.Hashes, checkpoint.Note), sequenced.Bytes);
    }
}
