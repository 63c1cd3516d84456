using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Attest.Core.Crypto;
using Attest.Core.IO;
using Attest.Core.Transparency;
using Attest.Core.X509;
using Attest.Ledger;
using Attest.Server.Api;
using Attest.Server.Audit;
using Attest.Server.Auth;
using Attest.Server.Hosting;
using Attest.Sigstore.Rekor;
using Microsoft.Extensions.Options;

namespace Attest.Server.Keyless;

/// <summary>
/// Rekor's v1 API on the ledger (rekor openapi.yaml): propose entries (<c>POST /api/v1/log/entries</c>), read them by
/// UUID or log index, retrieve several, the log's state and key, consistency proofs, and the index search. Responses
/// have Rekor's shapes; errors are RFC 9457 problems that also carry Rekor's <c>code</c> and <c>message</c>.
/// </summary>
public static class RekorEndpoints
{
    private const int MaxRetrieve = 10;
    private const int MaxSearchResults = 1000;

    public static void MapRekorEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1").WithTags("keyless").AllowAnonymous().RequireRateLimiting(AuthSetup.ApiRateLimit);
        api.MapPost("/log/entries", CreateEntryAsync)
            .WithName("CreateLogEntry")
            .Accepts<JsonElement>("application/json")
            .Produces<JsonElement>(StatusCodes.Status201Created)
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/log/entries/{entryUUID}", GetEntryByUuidAsync)
            .WithName("GetLogEntryByUUID")
            .Produces<JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/log/entries", GetEntryByIndexAsync)
            .WithName("GetLogEntryByIndex")
            .WithQueryParameters(("logIndex", Microsoft.OpenApi.JsonSchemaType.Integer, true, "the entry's index in the log"))
            .Produces<JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/log/entries/retrieve", RetrieveAsync)
            .WithName("SearchLogQuery")
            .Accepts<RetrieveRequest>("application/json")
            .Produces<JsonElement>(StatusCodes.Status200OK)
            .ProducesBodyProblems();
        api.MapGet("/log", GetLogInfoAsync)
            .WithName("GetLogInfo")
            .Produces<LogInfo>(StatusCodes.Status200OK);
        api.MapGet("/log/publicKey", (ServiceKeys keys) => Results.Text(Pem.Encode(Pem.PublicKeyLabel, keys.SigningKey!.ExportSubjectPublicKeyInfo()), "application/x-pem-file"))
            .WithName("GetLogPublicKey")
            .Produces<string>(StatusCodes.Status200OK, "application/x-pem-file");
        api.MapGet("/log/proof", GetConsistencyProofAsync)
            .WithName("GetLogProof")
            .WithQueryParameters(
                ("firstSize", Microsoft.OpenApi.JsonSchemaType.Integer, false, "the older tree size (default 1)"),
                ("lastSize", Microsoft.OpenApi.JsonSchemaType.Integer, true, "the newer tree size, at most the latest checkpoint's"),
                ("treeID", Microsoft.OpenApi.JsonSchemaType.String, false, "accepted for Rekor clients; the log has one tree"))
            .Produces<RekorConsistencyProof>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapPost("/index/retrieve", SearchIndexAsync)
            .WithName("SearchIndex")
            .Accepts<SearchIndexRequest>("application/json")
            .Produces<string[]>(StatusCodes.Status200OK)
            .ProducesBodyProblems();
    }

    private static async Task<IResult> CreateEntryAsync(HttpContext context, RekorLog log)
    {
        var (bytes, problem) = await ReadBodyAsync(context.Request, ProposedEntry.MaxBytes).ConfigureAwait(false);
        if (bytes is null) return problem!;
        if (!ProposedEntry.TryRead(bytes, out var entry, out var error)) return Problem(StatusCodes.Status400BadRequest, "the proposed entry is not accepted", error);
        var result = await log.AppendAsync(entry, context.RequestAborted).ConfigureAwait(false);
        switch (result)
        {
            case RekorAppendResult.Duplicate duplicate:
                context.Response.Headers.Location = EntryPath(duplicate.Uuid);
                return Problem(StatusCodes.Status409Conflict, "the entry is already in the log",
                    $"An equivalent entry already exists in the transparency log with UUID {duplicate.Uuid}");
            case RekorAppendResult.Refused refused:
                return Problem(StatusCodes.Status403Forbidden, "the log does not take this entry", refused.Detail);
            default:
                var appended = (RekorAppendResult.Appended)result;
                Telemetry.AttestInstruments.Signed("log_entry");
                context.Response.Headers.ETag = appended.Uuid;
                context.Response.Headers.Location = EntryPath(appended.Uuid);
                return Results.Text(RekorLog.ToRekorJson(appended.Uuid, appended.Entry).ToJsonString(), "application/json", Encoding.UTF8, StatusCodes.Status201Created);
        }
    }

    private static string EntryPath(string uuid) => "/api/v1/log/entries/" + uuid;

    private static async Task<IResult> GetEntryByUuidAsync(string entryUUID, HttpContext context, RekorLog log)
    {
        if (!TryUuid(entryUUID, out var leafHash)) return Problem(StatusCodes.Status400BadRequest, "invalid entry UUID", "an entry UUID is 64 hex digits (or 80 with the tree ID before them)");
        var found = await log.GetByUuidAsync(leafHash, context.RequestAborted).ConfigureAwait(false);
        return found is { } f ? Json(RekorLog.ToRekorJson(f.Uuid, f.Entry)) : Problem(StatusCodes.Status404NotFound, "no such entry", $"the log has no entry with UUID {entryUUID}");
    }

    private static async Task<IResult> GetEntryByIndexAsync(HttpContext context, RekorLog log)
    {
        var text = context.Request.Query["logIndex"];
        if (text.Count != 1 || !long.TryParse(text[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return Problem(StatusCodes.Status400BadRequest, "invalid log index", "give logIndex once, a non-negative integer");
        var found = await log.GetByIndexAsync(index, context.RequestAborted).ConfigureAwait(false);
        return found is { } f ? Json(RekorLog.ToRekorJson(f.Uuid, f.Entry))
            : Problem(StatusCodes.Status404NotFound, "no such entry", $"the log has no transparency-log entry at index {index}");
    }

    private static async Task<IResult> RetrieveAsync(HttpContext context, RekorLog log)
    {
        var (request, problem) = await JsonBody.ReadAsync(context.Request, RekorJsonContext.Default.RetrieveRequest, ProposedEntry.MaxBytes).ConfigureAwait(false);
        if (request is null) return problem!;
        var uuids = request.EntryUUIDs ?? [];
        var indexes = request.LogIndexes ?? [];
        var proposed = request.Entries ?? [];
        if (uuids.Count + indexes.Count + proposed.Count is 0 or > MaxRetrieve)
            return Problem(StatusCodes.Status400BadRequest, "invalid request", $"give 1 to {MaxRetrieve} entryUUIDs, logIndexes or entries in all");
        var results = new JsonArray();
        foreach (var uuid in uuids)
        {
            if (!TryUuid(uuid, out var hash)) return Problem(StatusCodes.Status400BadRequest, "invalid entry UUID", $"'{Clip(uuid)}' is not an entry UUID");
            if (await log.GetByUuidAsync(hash, context.RequestAborted).ConfigureAwait(false) is { } f) results.Add(RekorLog.ToRekorJson(f.Uuid, f.Entry));
        }
        foreach (var index in indexes)
        {
            if (index < 0) return Problem(StatusCodes.Status400BadRequest, "invalid log index", "log indexes are non-negative");
            if (await log.GetByIndexAsync(index, context.RequestAborted).ConfigureAwait(false) is { } f) results.Add(RekorLog.ToRekorJson(f.Uuid, f.Entry));
        }
        foreach (var element in proposed)
        {
            if (!ProposedEntry.TryRead(Encoding.UTF8.GetBytes(element.GetRawText()), out var entry, out var error))
                return Problem(StatusCodes.Status400BadRequest, "invalid entry", error);
            if (await log.FindAsync(entry, context.RequestAborted).ConfigureAwait(false) is { } f) results.Add(RekorLog.ToRekorJson(f.Uuid, f.Entry));
        }
        return Json(results);
    }

    private static async Task<IResult> GetLogInfoAsync(HttpContext context, AuditLedger ledger, ServiceKeys keys)
    {
        // The tree as it is now, as Rekor answers: a checkpoint over everything appended (the latest one if nothing is new).
        var checkpoint = await ledger.CheckpointAsync(context.RequestAborted).ConfigureAwait(false);
        return Results.Json(new LogInfo(Convert.ToHexStringLower(checkpoint?.RootHash ?? MerkleHash.EmptyRoot()), checkpoint?.Size ?? 0,
            checkpoint?.Note ?? "", TreeId(keys), []), RekorJsonContext.Default.LogInfo);
    }

    private static async Task<IResult> GetConsistencyProofAsync(HttpContext context, AuditLedger ledger)
    {
        var query = context.Request.Query;
        long first = 1;
        if (query["firstSize"] is { Count: 1 } f && !long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out first))
            return Problem(StatusCodes.Status400BadRequest, "invalid firstSize", "firstSize must be a non-negative integer");
        if (query["lastSize"] is not { Count: 1 } l || !long.TryParse(l[0], NumberStyles.None, CultureInfo.InvariantCulture, out var last))
            return Problem(StatusCodes.Status400BadRequest, "invalid lastSize", "lastSize is required, a positive integer");
        var log = ledger;
        var checkpoint = await log.GetLatestCheckpointAsync(context.RequestAborted).ConfigureAwait(false);
        if (first < 1 || first > last || checkpoint is null || last > checkpoint.Size)
            return Problem(StatusCodes.Status400BadRequest, "invalid sizes", $"need 1 <= firstSize <= lastSize <= {checkpoint?.Size ?? 0} (the latest checkpoint)");
        var proof = await log.GetConsistencyProofAsync(first, last, context.RequestAborted).ConfigureAwait(false);
        var root = await log.Store.GetRootAsync(last, context.RequestAborted).ConfigureAwait(false);
        return Results.Json(new RekorConsistencyProof(Convert.ToHexStringLower(root), [.. proof.Hashes.Select(Convert.ToHexStringLower)]), RekorJsonContext.Default.RekorConsistencyProof);
    }

    private static async Task<IResult> SearchIndexAsync(HttpContext context, RekorLog log)
    {
        var (request, problem) = await JsonBody.ReadAsync(context.Request, RekorJsonContext.Default.SearchIndexRequest, 64 * 1024).ConfigureAwait(false);
        if (request is null) return problem!;
        var sets = new List<IReadOnlyList<string>>();
        if (request.Hash is { } hash)
        {
            var normalized = hash.Contains(':', StringComparison.Ordinal) ? hash.ToLowerInvariant() : "sha256:" + hash.ToLowerInvariant();
            if (!Attest.Core.Digest.TryParse(normalized, out _, out _)) return Problem(StatusCodes.Status400BadRequest, "invalid hash", "hash must be <algorithm>:<hex> or sha256 hex");
            sets.Add(await log.SearchAsync(LedgerLookup.Digest, normalized, MaxSearchResults, context.RequestAborted).ConfigureAwait(false));
        }
        if (request.Email is { } email)
        {
            if (email.Length is 0 or > LedgerLimits.MaxFieldLength) return Problem(StatusCodes.Status400BadRequest, "invalid email", "email must be 1 to 2048 characters");
            sets.Add(await log.SearchAsync(LedgerLookup.Identity, email, MaxSearchResults, context.RequestAborted).ConfigureAwait(false));
        }
        if (request.PublicKey is { } key)
        {
            if (key.Format is not ("x509" or null) || key.Content is not { Length: > 0 and <= 64 * 1024 } content || !Attest.Core.Base64Any.TryDecode(content, out var pem))
                return Problem(StatusCodes.Status400BadRequest, "invalid publicKey", "publicKey.format must be x509 and publicKey.content the base64 of a PEM certificate or public key");
            var identity = SignerIdentity(pem);
            if (identity is null) return Problem(StatusCodes.Status400BadRequest, "invalid publicKey", "publicKey.content is not a PEM certificate or public key");
            sets.Add(await log.SearchAsync(LedgerLookup.Identity, identity, MaxSearchResults, context.RequestAborted).ConfigureAwait(false));
        }
        if (sets.Count == 0) return Problem(StatusCodes.Status400BadRequest, "invalid request", "give at least one of hash, email or publicKey");
        IEnumerable<string> combined = sets[0];
        foreach (var set in sets.Skip(1))
            combined = request.Operator == "or" ? combined.Union(set) : combined.Intersect(set);
        return Results.Json(combined.ToArray(), RekorJsonContext.Default.StringArray);
    }

    /// <summary>The identity the ledger records for a signer: a certificate's subject, or <c>key:sha256:HEX</c> of a key.</summary>
    internal static string? SignerIdentity(byte[] pem)
    {
        var text = Encoding.ASCII.GetString(pem);
        if (!Pem.TryReadFirst(text, out var label, out var der, out _)) return null;
        if (label == Pem.CertificateLabel)
        {
            try
            {
                using var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der);
                return SubjectAlternativeName.Read(certificate).FirstOrDefault(n => n.Kind is SubjectAlternativeNameKind.Email or SubjectAlternativeNameKind.Uri)?.Value;
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                return null;
            }
        }
        return label == Pem.PublicKeyLabel && PublicKey.TryParseSubjectPublicKeyInfo(der, out var key, out _) ? RekorLog.KeyIdentity(key.SubjectPublicKeyInfo) : null;
    }

    /// <summary>A stable tree ID for Rekor clients: the first 8 bytes of the log ID as a positive integer.</summary>
    private static string TreeId(ServiceKeys keys) =>
        (System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(keys.LogId) & long.MaxValue).ToString(CultureInfo.InvariantCulture);

    private static bool TryUuid(string? text, out byte[] leafHash)
    {
        leafHash = [];
        if (text is null || (text.Length != 64 && text.Length != 80) || !text.All(char.IsAsciiHexDigit)) return false;
        leafHash = Convert.FromHexString(text.AsSpan(text.Length - 64));
        return true;
    }

    internal static async Task<(byte[]? Bytes, IResult? Problem)> ReadBodyAsync(HttpRequest request, int maxBytes)
    {
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, ApiProblems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported media type", "the request body must be application/json"));
        if (request.ContentLength > maxBytes) return (null, ApiProblems.Create(StatusCodes.Status413PayloadTooLarge, "request too large", $"the request body is larger than {maxBytes} bytes"));
        return await BoundedRead.ReadAllAsync(request.Body, maxBytes, request.HttpContext.RequestAborted).ConfigureAwait(false) is { } body
            ? (body, null)
            : (null, ApiProblems.Create(StatusCodes.Status413PayloadTooLarge, "request too large", $"the request body is larger than {maxBytes} bytes"));
    }

    private static IResult Json(JsonNode node) => Results.Text(node.ToJsonString(), "application/json", Encoding.UTF8);

    /// <summary>An RFC 9457 problem that Rekor clients also read (<c>code</c>, <c>message</c>).</summary>
    internal static IResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title,
            extensions: new Dictionary<string, object?> { ["code"] = status, ["message"] = detail });

    private static string Clip(string? text) => text is null ? "" : text.Length <= 64 ? text : text[..64] + "…";
}

/// <summary>Rekor's <c>SearchLogQuery</c>.</summary>
public sealed record RetrieveRequest(IReadOnlyList<string>? EntryUUIDs, IReadOnlyList<long>? LogIndexes, IReadOnlyList<JsonElement>? Entries);

public sealed record SearchIndexPublicKey(string? Format, string? Content, string? Url);

/// <summary>Rekor's <c>SearchIndex</c>: by artifact hash, signer e-mail (any identity here) or public key.</summary>
public sealed record SearchIndexRequest(string? Hash, string? Email, SearchIndexPublicKey? PublicKey, string? Operator);

/// <summary>Rekor's <c>LogInfo</c>.</summary>
public sealed record LogInfo(string RootHash, long TreeSize, string SignedTreeHead, string TreeID, IReadOnlyList<JsonElement> InactiveShards);

public sealed record RekorConsistencyProof(string RootHash, IReadOnlyList<string> Hashes);

[JsonSerializable(typeof(RetrieveRequest))]
[JsonSerializable(typeof(SearchIndexRequest))]
[JsonSerializable(typeof(LogInfo))]
[JsonSerializable(typeof(RekorConsistencyProof))]
[JsonSerializable(typeof(string[]))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class RekorJsonContext : JsonSerializerContext;
