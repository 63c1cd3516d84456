using System.Security.Cryptography;
using System.Text.Json;
using Attest.Core.Transparency;
using Attest.Sigstore.Bundles;
using InclusionProof = Attest.Sigstore.Bundles.InclusionProof;
using TransparencyLogEntry = Attest.Sigstore.Bundles.TransparencyLogEntry;

namespace Attest.Sigstore.Signing;

/// <summary>
/// A Rekor v1 log held in memory: leaves, RFC 6962 roots and inclusion proofs from <c>Attest.Core.Transparency</c>,
/// signed entry timestamps and C2SP checkpoints (<c>"&lt;hostname&gt; - &lt;tree id&gt;"</c> origin, signed under the
/// hostname with an ECDSA P-256 note key whose key hash is the log ID prefix, as Rekor does). For tests and local
/// signing; thread-safe.
/// </summary>
public sealed class InMemoryTransparencyLog : ITransparencyLog
{
    private readonly ECDsa _key;
    private readonly TimeProvider _time;
    private readonly EcdsaNoteSigner _noteSigner;
    private readonly Dictionary<MerkleNodeId, byte[]> _nodes = [];
    private readonly CompactRange _range = new();
    private readonly Lock _lock = new();

    /// <param name="key">The log's P-256 signing key (not owned).</param>
    /// <param name="hostname">The name the log signs checkpoints under; the base URL is <c>https://hostname</c>.</param>
    /// <param name="treeId">The tree ID of the checkpoint origin line.</param>
    public InMemoryTransparencyLog(ECDsa key, string hostname, TimeProvider time, long treeId = 1)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(hostname);
        ArgumentNullException.ThrowIfNull(time);
        if (key.KeySize != 256) throw new ArgumentException("the log key must be ECDSA P-256", nameof(key));
        _key = key;
        _time = time;
        Hostname = hostname;
        Origin = $"{hostname} - {treeId}";
        PublicKeyInfo = key.ExportSubjectPublicKeyInfo();
        LogId = SHA256.HashData(PublicKeyInfo);
        _noteSigner = new EcdsaNoteSigner(hostname, key);
    }

    public string Hostname { get; }

    public string BaseUrl => $"https://{Hostname}";

    /// <summary>The checkpoint origin line.</summary>
    public string Origin { get; }

    /// <summary>DER SubjectPublicKeyInfo of the log key, as the trusted root lists it.</summary>
    public byte[] PublicKeyInfo { get; }

    /// <summary>SHA-256 of <see cref="PublicKeyInfo"/>.</summary>
    public byte[] LogId { get; }

    public long Size
    {
        get
        {
            lock (_lock) return _range.Size;
        }
    }

    public Task<TransparencyLogEntry> AppendAsync(ReadOnlyMemory<byte> canonicalizedBody, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var body = canonicalizedBody.ToArray();
        var (kind, version) = ReadKindVersion(body);
        var integratedTime = _time.GetUtcNow().ToUnixTimeSeconds();
        long index, size;
        byte[] root;
        byte[][] hashes;
        lock (_lock)
        {
            index = _range.Size;
            var leaf = MerkleHash.Leaf(body);
            // Every perfect subtree is kept, so any inclusion proof is assembled from stored nodes (ProofPlan).
            _nodes[new MerkleNodeId(0, index)] = leaf;
            _range.Append(leaf, (id, hash) => _nodes[id] = hash);
            size = _range.Size;
            root = _range.Root();
            hashes = ProofPlan.Inclusion(index, size).Assemble(id => _nodes[id]);
        }
        var set = _key.SignData(SignedEntryTimestampPayload(body, integratedTime, LogId, index), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var checkpoint = new Checkpoint(Origin, size, root).Sign(_noteSigner).ToString();
        var proof = new InclusionProof(index, root, size, hashes, checkpoint);
        return Task.FromResult(new TransparencyLogEntry(index, LogId, kind, version, integratedTime, set, proof, body));
    }

    /// <summary>RFC 8785 JSON of {body, integratedTime, logID (hex), logIndex}: what a Rekor v1 SET signs.</summary>
    public static byte[] SignedEntryTimestampPayload(byte[] body, long integratedTime, byte[] logId, long logIndex) =>
        RekorEntryBodies.Write(w =>
        {
            w.WriteString("body", Convert.ToBase64String(body));
            w.WriteNumber("integratedTime", integratedTime);
            w.WriteString("logID", Convert.ToHexStringLower(logId));
            w.WriteNumber("logIndex", logIndex);
        });

    private static (string Kind, string Version) ReadKindVersion(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String
                && root.TryGetProperty("apiVersion", out var version) && version.ValueKind == JsonValueKind.String)
                return (kind.GetString()!, version.GetString()!);
        }
        catch (JsonException)
        {
        }
        throw new ArgumentException("the entry body is not a JSON object with string kind and apiVersion", nameof(body));
    }
}
