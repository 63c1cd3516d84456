using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core.Crypto;
using Attest.Core.X509;
using Attest.Ledger;
using Attest.Server.Hosting;
using Attest.Server.Identity;
using Attest.Server.Signing;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Rekor;
using Microsoft.Extensions.Options;

namespace Attest.Server.Keyless;

/// <summary>The outcome of proposing an entry: appended, already present (Rekor's 409), or refused by the log's policy.</summary>
public abstract record RekorAppendResult
{
    public sealed record Appended(string Uuid, TransparencyLogEntry Entry) : RekorAppendResult;

    public sealed record Duplicate(string Uuid) : RekorAppendResult;

    public sealed record Refused(string Detail) : RekorAppendResult;
}

/// <summary>
/// A Rekor v1 transparency log on the ledger: a verified proposed entry becomes a ledger entry whose leaf bytes are
/// the Rekor body (its canonical <c>spec</c>, plus the ledger's own members), so Rekor's UUID is the ledger leaf hash,
/// its log index the ledger index, its SET and checkpoint signed by the ledger key. Who may log is the deployment's
/// choice: by default a signer certified by Attest's CA (and valid now), a managed key, or a registered key.
/// Entries are unique by kind and canonical spec, as in Rekor.
/// </summary>
public sealed class RekorLog(AuditLedger ledger, ServiceKeys keys, KeylessAuthorities authorities, ManagedKeyRing managed,
    IOptions<KeylessOptions> options, TimeProvider time)
{
    /// <summary>Entries of the same artifact compared for duplicates; beyond that an entry is appended anyway.</summary>
    private const int MaxDuplicateCandidates = 64;

    /// <summary>Striped by content hash: proposals of the same content take turns, so two cannot both append.</summary>
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];
    private IReadOnlyList<byte[]> _registered = [];

    /// <summary>Reads the registered keys (start-up).</summary>
    public void LoadRegisteredKeys()
    {
        var list = new List<byte[]>();
        foreach (var file in options.Value.RegisteredKeys)
        {
            try
            {
                if (!PublicKey.TryParse(File.ReadAllBytes(file), out var key, out var error))
                    throw new StartupException($"Attest:Keyless:RegisteredKeys: {file} is not a public key ({error})");
                list.Add(key.SubjectPublicKeyInfo.ToArray());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StartupException($"Attest:Keyless:RegisteredKeys: {file} cannot be read: {e.Message}", e);
            }
        }
        _registered = list;
    }

    public async Task<RekorAppendResult> AppendAsync(ProposedEntry entry, CancellationToken cancellationToken)
    {
        var (identity, details, refusal) = Admit(entry);
        if (refusal is not null) return new RekorAppendResult.Refused(refusal);

        var log = Ledger;
        var digest = entry.ArtifactDigest?.ToString();
        // One proposal of the same content at a time in this process, so two concurrent submissions cannot both append.
        var gate = _stripes[SHA256.HashData(entry.CanonicalBody)[0] % _stripes.Length];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (digest is not null && await FindDuplicateAsync(entry, digest, cancellationToken).ConfigureAwait(false) is { } existing)
                return new RekorAppendResult.Duplicate(existing);
            var appender = new LedgerTransparencyLog(log, LogKey, keys.LogId, client: null, digest, image: null, details, identity);
            var appended = await appender.AppendAsync(entry.CanonicalBody, cancellationToken).ConfigureAwait(false);
            return new RekorAppendResult.Appended(Convert.ToHexStringLower(Attest.Core.Transparency.MerkleHash.Leaf(appended.CanonicalizedBody)), appended);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The entry with this UUID (leaf hash), if it is a transparency-log entry.</summary>
    public async Task<(string Uuid, TransparencyLogEntry Entry)?> GetByUuidAsync(byte[] leafHash, CancellationToken cancellationToken)
    {
        var rows = await Ledger.Store.LookupAsync(LedgerLookup.LeafHash, leafHash, 1, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : await ServeAsync(rows[0].Body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The entry at <paramref name="index"/>, if it exists and is a transparency-log entry.</summary>
    public async Task<(string Uuid, TransparencyLogEntry Entry)?> GetByIndexAsync(long index, CancellationToken cancellationToken)
    {
        await foreach (var row in Ledger.Store.ReadEntriesAsync(index, index + 1, cancellationToken).ConfigureAwait(false))
            return await ServeAsync(row.Body, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>UUIDs of the transparency-log entries about an artifact digest or a CI identity (Rekor's index search).</summary>
    public async Task<IReadOnlyList<string>> SearchAsync(LedgerLookup column, string value, int limit, CancellationToken cancellationToken)
    {
        var rows = await Ledger.Store.LookupAsync(column, value, limit, cancellationToken).ConfigureAwait(false);
        var uuids = new List<string>();
        foreach (var row in rows)
            if (LedgerEntryCodec.TryParse(row.Body, out var parsed, out _) && parsed.Entry.Spec is not null)
                uuids.Add(Convert.ToHexStringLower(row.LeafHash));
        return uuids;
    }

    private async Task<(string, TransparencyLogEntry)?> ServeAsync(byte[] body, CancellationToken cancellationToken)
    {
        if (!LedgerEntryCodec.TryParse(body, out var sequenced, out _) || sequenced.Entry.ApiVersion is null || sequenced.Entry.Spec is null) return null;
        var checkpoint = await Ledger.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (checkpoint is null || checkpoint.Size <= sequenced.Index)
            checkpoint = await Ledger.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        var entry = await LedgerTransparencyLog.EntryAsync(Ledger, LogKey, keys.LogId, sequenced, checkpoint!, sequenced.Entry.Kind, sequenced.Entry.ApiVersion, cancellationToken).ConfigureAwait(false);
        return (Convert.ToHexStringLower(Attest.Core.Transparency.MerkleHash.Leaf(body)), entry);
    }

    /// <summary>The logged entry with the same content as <paramref name="entry"/>, if any.</summary>
    public async Task<(string Uuid, TransparencyLogEntry Entry)?> FindAsync(ProposedEntry entry, CancellationToken cancellationToken)
    {
        if (entry.ArtifactDigest is not { } digest || await FindDuplicateAsync(entry, digest.ToString(), cancellationToken).ConfigureAwait(false) is not { } uuid) return null;
        return await GetByUuidAsync(Convert.FromHexString(uuid), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The identity recorded for a key-signed entry: <c>key:sha256:HEX</c> of the key's SubjectPublicKeyInfo.</summary>
    public static string KeyIdentity(ReadOnlySpan<byte> subjectPublicKeyInfo) => "key:sha256:" + Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    private async Task<string?> FindDuplicateAsync(ProposedEntry entry, string digest, CancellationToken cancellationToken)
    {
        var candidates = await Ledger.Store.LookupAsync(LedgerLookup.Digest, digest, MaxDuplicateCandidates, cancellationToken).ConfigureAwait(false);
        foreach (var row in candidates)
        {
            if (!LedgerEntryCodec.TryParse(row.Body, out var parsed, out _) || parsed.Entry.Kind != entry.Kind
                || parsed.Entry.ApiVersion != entry.ApiVersion || parsed.Entry.Spec is not { } spec) continue;
            if (Attest.Core.Json.CanonicalJson.Canonicalize(spec).AsSpan().SequenceEqual(entry.CanonicalSpec))
                return Convert.ToHexStringLower(row.LeafHash);
        }
        return null;
    }

    /// <summary>The log's policy: who signed, and the identity and details the ledger records with the entry.</summary>
    private (string? Identity, JsonElement Details, string? Refusal) Admit(ProposedEntry entry)
    {
        var details = new JsonObject();
        string? identity = null;
        var signers = new JsonArray();
        var now = time.GetUtcNow();
        foreach (var signer in entry.Signers)
        {
            var signerDetails = new JsonObject { ["keyId"] = Convert.ToHexStringLower(SHA256.HashData(signer.Key.SubjectPublicKeyInfo)) };
            if (signer.Certificate is { } certificate)
            {
                var issued = authorities.Ca.Issued(certificate, now, out var problem);
                if (!issued && options.Value.LogAccepts == KeylessOptions.AcceptAttest)
                    return (null, default, $"the log takes entries signed with certificates of Attest's CA (or managed or registered keys): {problem}");
                if (issued)
                {
                    var san = SubjectAlternativeName.Read(certificate).FirstOrDefault(n => n.Kind is SubjectAlternativeNameKind.Email or SubjectAlternativeNameKind.Uri);
                    identity ??= san?.Value;
                    signerDetails["subject"] = san?.Value;
                    signerDetails["issuer"] = FulcioExtensions.Read(certificate).Issuer;
                    signerDetails["serialNumber"] = Convert.ToHexStringLower(certificate.SerialNumber.Span);
                }
            }
            else
            {
                var spki = signer.Key.SubjectPublicKeyInfo.ToArray();
                var known = managed.Keys.Any(k => spki.AsSpan().SequenceEqual(k.SubjectPublicKeyInfo)) || _registered.Any(k => spki.AsSpan().SequenceEqual(k));
                if (!known && options.Value.LogAccepts == KeylessOptions.AcceptAttest)
                    return (null, default, "the log takes entries signed with certificates of Attest's CA or with its managed or registered keys; this key is none of them");
                identity ??= KeyIdentity(spki);
            }
            signers.Add(signerDetails);
        }
        details["signers"] = signers;
        return (identity, LedgerEntry.DetailsFrom(details), null);
    }

    private AuditLedger Ledger => ledger;

    private ECDsa LogKey => keys.SigningKey ?? throw new InvalidOperationException("the ledger key is not loaded");

    /// <summary>A Rekor v1 <c>LogEntry</c>: <c>{uuid: {body, integratedTime, logID, logIndex, verification}}</c>.</summary>
    public static JsonObject ToRekorJson(string uuid, TransparencyLogEntry entry)
    {
        var proof = entry.InclusionProof!;
        return new JsonObject
        {
            [uuid] = new JsonObject
            {
                ["body"] = Convert.ToBase64String(entry.CanonicalizedBody),
                ["integratedTime"] = entry.IntegratedTime,
                ["logID"] = Convert.ToHexStringLower(entry.LogId),
                ["logIndex"] = entry.LogIndex,
                ["verification"] = new JsonObject
                {
                    ["inclusionProof"] = new JsonObject
                    {
                        ["checkpoint"] = proof.Checkpoint,
                        ["hashes"] = new JsonArray([.. proof.Hashes.Select(h => (JsonNode)Convert.ToHexStringLower(h))]),
                        ["logIndex"] = proof.LogIndex,
                        ["rootHash"] = Convert.ToHexStringLower(proof.RootHash),
                        ["treeSize"] = proof.TreeSize,
                    },
                    ["signedEntryTimestamp"] = Convert.ToBase64String(entry.SignedEntryTimestamp!),
                },
            },
        };
    }
}
