using System.Buffers;
using System.Text.Json;
using Attest.Core;
using Attest.Core.Dsse;
using Attest.Core.InToto;
using Attest.Sigstore.Bundles;

namespace Attest.Sigstore.Signing;

/// <summary>
/// Signs content and builds a Sigstore bundle v0.3 (<see cref="MediaType"/>): a DSSE envelope (logged as Rekor
/// <c>dsse</c> 0.0.1) or a message signature over an artifact digest (logged as <c>hashedrekord</c> 0.0.1), the
/// signer's verification material, the transparency log entry with its SET, inclusion proof and checkpoint, and, with
/// a timestamper, an RFC 3161 timestamp over the signature. Returns the bundle JSON (protobuf-specs proto3 JSON mapping). Thread-safe if the log is.
/// </summary>
public sealed class BundleBuilder
{
    public const string MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";

    private readonly ITransparencyLog _log;
    private readonly SigstoreLimits _limits;
    private readonly ISignatureTimestamper? _timestamper;

    /// <summary>Base64 '+' and the checkpoint's em dash stay unescaped, as other Sigstore clients write them.</summary>
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <param name="limits">The limits verifiers apply; the builder refuses content they would reject.</param>
    /// <param name="timestamper">A timestamp authority (keyless signing: the time the short-lived certificate was valid); none: the log's integrated time alone.</param>
    public BundleBuilder(ITransparencyLog log, SigstoreLimits? limits = null, ISignatureTimestamper? timestamper = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
        _limits = limits ?? SigstoreLimits.Default;
        _timestamper = timestamper;
    }

    /// <summary>Signs an in-toto Statement (JSON bytes) as a DSSE envelope of type <c>application/vnd.in-toto+json</c>.</summary>
    public Task<byte[]> SignStatementAsync(BundleSigner signer, ReadOnlyMemory<byte> statementJson, CancellationToken cancellationToken = default)
    {
        if (!Statement.TryParse(statementJson.Span, out _, out var error))
            throw new ArgumentException($"not an in-toto statement: {error}", nameof(statementJson));
        return SignDsseAsync(signer, Statement.PayloadType, statementJson, cancellationToken);
    }

    /// <summary>Signs any payload as a single-signature DSSE envelope (the signature covers the DSSE PAE).</summary>
    public async Task<byte[]> SignDsseAsync(BundleSigner signer, string payloadType, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentException.ThrowIfNullOrEmpty(payloadType);
        if (payload.Length > _limits.MaxDssePayloadBytes)
            throw new ArgumentException($"the DSSE payload is {payload.Length} bytes; verifiers accept at most {_limits.MaxDssePayloadBytes}", nameof(payload));
        var bytes = payload.ToArray();
        var signature = signer.SignData(Pae.Encode(payloadType, bytes));
        var envelope = new DsseEnvelope(payloadType, bytes, [new DsseSignature(signature, null)]);
        var timestamp = await TimestampAsync(signature, cancellationToken).ConfigureAwait(false);
        var entry = await _log.AppendAsync(RekorEntryBodies.Dsse(envelope, signer.VerifierPem), RekorEntryBodies.DsseProposal(envelope, signer.VerifierPem),
            cancellationToken).ConfigureAwait(false);
        return Write(signer, entry, timestamp, w =>
        {
            w.WriteStartObject("dsseEnvelope");
            RekorEntryBodies.WriteEnvelopeMembers(w, envelope);
            w.WriteEndObject();
        });
    }

    /// <summary>Signs an artifact known by its SHA-256 digest (ECDSA over the prehash: the same signature as over the artifact bytes).</summary>
    /// <exception cref="NotSupportedException">The signer is pure Ed25519, which cannot sign a digest.</exception>
    public Task<byte[]> SignDigestAsync(BundleSigner signer, Digest artifactDigest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return SignMessageAsync(signer, artifactDigest, signer.SignDigest(artifactDigest), cancellationToken);
    }

    /// <summary>Signs artifact bytes as a message signature over their SHA-256 (what Rekor's hashedrekord records).</summary>
    /// <exception cref="NotSupportedException">The signer is pure Ed25519: Rekor v1 hashedrekord cannot check it
    /// (sigstore/rekor#851) and sigstore-js rejects it; sign a DSSE statement about the artifact instead.</exception>
    public Task<byte[]> SignArtifactAsync(BundleSigner signer, ReadOnlyMemory<byte> artifact, CancellationToken cancellationToken = default) =>
        SignDigestAsync(signer, Digest.Sha256(artifact.Span), cancellationToken);

    private async Task<byte[]> SignMessageAsync(BundleSigner signer, Digest digest, byte[] signature, CancellationToken cancellationToken)
    {
        if (digest.Algorithm != "sha256") throw new ArgumentException($"message signatures are over SHA-256 digests, not {digest.Algorithm}", nameof(digest));
        var timestamp = await TimestampAsync(signature, cancellationToken).ConfigureAwait(false);
        // A hashedrekord proposal is its canonical body.
        var body = RekorEntryBodies.HashedRekord(digest, signature, signer.VerifierPem);
        var entry = await _log.AppendAsync(body, body, cancellationToken).ConfigureAwait(false);
        return Write(signer, entry, timestamp, w =>
        {
            w.WriteStartObject("messageSignature");
            w.WriteStartObject("messageDigest");
            w.WriteString("algorithm", "SHA2_256");
            w.WriteString("digest", Convert.ToBase64String(digest.Value));
            w.WriteEndObject();
            w.WriteString("signature", Convert.ToBase64String(signature));
            w.WriteEndObject();
        });
    }

    private async Task<byte[]?> TimestampAsync(byte[] signature, CancellationToken cancellationToken) =>
        _timestamper is null ? null : await _timestamper.TimestampAsync(signature, cancellationToken).ConfigureAwait(false);

    private static byte[] Write(BundleSigner signer, TransparencyLogEntry entry, byte[]? timestamp, Action<Utf8JsonWriter> content)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", MediaType);
            w.WriteStartObject("verificationMaterial");
            if (signer.Certificate is { } certificate)
            {
                // v0.3 carries the leaf alone; intermediates and roots come from the trusted root.
                w.WriteStartObject("certificate");
                w.WriteString("rawBytes", Convert.ToBase64String(certificate.RawData));
                w.WriteEndObject();
            }
            else
            {
                w.WriteStartObject("publicKey");
                w.WriteString("hint", signer.Hint);
                w.WriteEndObject();
            }
            w.WriteStartArray("tlogEntries");
            WriteTransparencyLogEntry(w, entry);
            w.WriteEndArray();
            if (timestamp is not null)
            {
                w.WriteStartObject("timestampVerificationData");
                w.WriteStartArray("rfc3161Timestamps");
                w.WriteStartObject();
                w.WriteString("signedTimestamp", Convert.ToBase64String(timestamp));
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
            content(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>protobuf-specs TransparencyLogEntry; int64 fields are strings in proto3 JSON. Also Rekor v2's answer to a new entry.</summary>
    public static void WriteTransparencyLogEntry(Utf8JsonWriter w, TransparencyLogEntry entry)
    {
        w.WriteStartObject();
        w.WriteString("logIndex", entry.LogIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteStartObject("logId");
        w.WriteString("keyId", Convert.ToBase64String(entry.LogId));
        w.WriteEndObject();
        w.WriteStartObject("kindVersion");
        w.WriteString("kind", entry.Kind);
        w.WriteString("version", entry.Version);
        w.WriteEndObject();
        w.WriteString("integratedTime", entry.IntegratedTime.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (entry.SignedEntryTimestamp is { } set)
        {
            w.WriteStartObject("inclusionPromise");
            w.WriteString("signedEntryTimestamp", Convert.ToBase64String(set));
            w.WriteEndObject();
        }
        if (entry.InclusionProof is { } proof)
        {
            w.WriteStartObject("inclusionProof");
            w.WriteString("logIndex", proof.LogIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("rootHash", Convert.ToBase64String(proof.RootHash));
            w.WriteString("treeSize", proof.TreeSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteStartArray("hashes");
            foreach (var hash in proof.Hashes) w.WriteStringValue(Convert.ToBase64String(hash));
            w.WriteEndArray();
            w.WriteStartObject("checkpoint");
            w.WriteString("envelope", proof.Checkpoint);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteString("canonicalizedBody", Convert.ToBase64String(entry.CanonicalizedBody));
        w.WriteEndObject();
    }
}
