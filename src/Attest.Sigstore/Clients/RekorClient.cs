using System.Text.Json;
using Attest.Core.Json;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Signing;

namespace Attest.Sigstore.Clients;

/// <summary>
/// A Rekor v1 log over HTTP as the bundle builder's transparency log: <c>POST /api/v1/log/entries</c> with the proposed
/// entry, answered with the logged entry, its SET and inclusion proof (hex hashes, as Rekor writes them). The entry
/// the log recorded must be the one the client expected (kind, version and canonical spec; a log may add members of
/// its own, as Attest's ledger does); the SET, proof and checkpoint are checked by the verifier.
/// </summary>
public sealed class RekorClient(HttpClient http, Uri baseUrl) : ITransparencyLog
{
    public const string Service = "the transparency log";
    private const int MaxResponseBytes = 8 << 20;

    /// <summary>A hashedrekord body is its own proposal; other kinds need <see cref="AppendAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    public Task<TransparencyLogEntry> AppendAsync(ReadOnlyMemory<byte> canonicalizedBody, CancellationToken cancellationToken = default) =>
        AppendAsync(canonicalizedBody, canonicalizedBody, cancellationToken);

    public async Task<TransparencyLogEntry> AppendAsync(ReadOnlyMemory<byte> canonicalizedBody, ReadOnlyMemory<byte> proposedEntry, CancellationToken cancellationToken = default)
    {
        using var request = ServiceCall.Json(HttpMethod.Post, ServiceCall.Combine(baseUrl, "api/v1/log/entries"), proposedEntry.ToArray());
        var answer = await ServiceCall.SendAsync(http, request, Service, MaxResponseBytes, cancellationToken).ConfigureAwait(false);
        var entry = Read(answer);
        if (!SameEntry(entry.CanonicalizedBody, canonicalizedBody.Span))
            throw new SigstoreServiceException(Service, null, "the log recorded another entry than the one proposed");
        return entry;
    }

    /// <summary>A Rekor v1 <c>LogEntry</c>: <c>{uuid: {body, integratedTime, logID, logIndex, verification: {inclusionProof, signedEntryTimestamp}}}</c>.</summary>
    internal static TransparencyLogEntry Read(byte[] answer)
    {
        using var document = ServiceCall.ParseJson(answer, Service);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw Malformed("the answer is not a JSON object");
        using var members = root.EnumerateObject();
        if (!members.MoveNext() || members.Current.Value.ValueKind != JsonValueKind.Object) throw Malformed("the answer holds no entry");
        var entry = members.Current.Value;
        try
        {
            var body = Convert.FromBase64String(entry.GetProperty("body").GetString()!);
            var verification = entry.GetProperty("verification");
            var proof = verification.GetProperty("inclusionProof");
            var hashes = proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToList();
            if (hashes.Count > 64) throw Malformed("the inclusion proof has more than 64 hashes");
            var logIndex = entry.GetProperty("logIndex").GetInt64();
            var inclusion = new InclusionProof(proof.GetProperty("logIndex").GetInt64(), Convert.FromHexString(proof.GetProperty("rootHash").GetString()!),
                proof.GetProperty("treeSize").GetInt64(), hashes, proof.GetProperty("checkpoint").GetString()!);
            var (kind, version) = KindOf(body);
            return new TransparencyLogEntry(logIndex, Convert.FromHexString(entry.GetProperty("logID").GetString()!), kind, version,
                entry.GetProperty("integratedTime").GetInt64(), Convert.FromBase64String(verification.GetProperty("signedEntryTimestamp").GetString()!),
                inclusion, body);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or NullReferenceException)
        {
            throw Malformed($"the entry lacks a member or has one of the wrong type ({e.Message})");
        }
    }

    /// <summary>Whether the logged body states the expected entry: the same kind, version and RFC 8785 spec.</summary>
    private static bool SameEntry(byte[] logged, ReadOnlySpan<byte> expected)
    {
        using var a = ServiceCall.ParseJson(logged, Service);
        using var b = JsonDocument.Parse(expected.ToArray());
        if (a.RootElement.ValueKind != JsonValueKind.Object) return false;
        foreach (var name in (string[])["kind", "apiVersion"])
            if (!a.RootElement.TryGetProperty(name, out var x) || x.ValueKind != JsonValueKind.String || x.GetString() != b.RootElement.GetProperty(name).GetString()) return false;
        return a.RootElement.TryGetProperty("spec", out var loggedSpec) && loggedSpec.ValueKind == JsonValueKind.Object
               && CanonicalJson.Canonicalize(loggedSpec).AsSpan().SequenceEqual(CanonicalJson.Canonicalize(b.RootElement.GetProperty("spec")));
    }

    private static (string Kind, string Version) KindOf(byte[] body)
    {
        using var document = ServiceCall.ParseJson(body, Service);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String
            && root.TryGetProperty("apiVersion", out var version) && version.ValueKind == JsonValueKind.String)
            return (kind.GetString()!, version.GetString()!);
        throw Malformed("the logged body has no kind and apiVersion");
    }

    private static SigstoreServiceException Malformed(string message) => new(Service, null, message);
}
