using System.Globalization;
using Attest.Ledger;
using Attest.Server.Hosting;
using Attest.Server.Witnessing;
using Microsoft.OpenApi;

namespace Attest.Server.Audit;

/// <summary>
/// The auditors' API under <c>/v1/ledger</c>: the latest signed checkpoint, entries with filters and paging, inclusion
/// and consistency proofs, a streamed export, and the tlog-tiles layout served live under <c>/v1/ledger/log/</c>.
/// Every API endpoint is in one route group (returned), so authorization (scope <c>audit</c>) is added in one place;
/// the page at <c>/audit/</c> is static and stays outside it (a browser cannot send a bearer token on navigation).
/// </summary>
public static class AuditEndpoints
{
    public const string Tag = "audit";

    /// <summary>Largest page of <c>GET /v1/ledger/entries</c>.</summary>
    public const int MaxPageSize = 1000;

    public const int DefaultPageSize = 100;

    /// <summary>Leaf bytes in one page of entries: a page ends early (with a cursor) rather than grow past this.</summary>
    public const int MaxPageBytes = 4 * 1024 * 1024;

    private static readonly string[] EntryFilters = ["kind", "image", "digest", "namespace", "verdict", "client", "identity", "from", "to", "order", "cursor", "limit"];

    /// <summary>Maps the API (returning its route group) and the page.</summary>
    public static RouteGroupBuilder MapAuditEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/v1/ledger").WithTags(Tag);

        api.MapGet("/checkpoint", GetCheckpointAsync)
            .WithName("LedgerCheckpoint")
            .Produces<CheckpointResponse>(StatusCodes.Status200OK)
            .ProducesLedgerProblems();

        api.MapGet("/entries", QueryEntriesAsync)
            .WithName("LedgerEntries")
            .WithQueryParameters(
                ("kind", JsonSchemaType.String, false, "entry kind, e.g. admission.decision"),
                ("image", JsonSchemaType.String, false, "image: a repository (every tag and digest of it) or a reference with tag or digest, in any spelling (app, docker.io/library/app, registry/team/app:1.4, …@sha256:…); compared in canonical form"),
                ("digest", JsonSchemaType.String, false, "sha256:<hex>"),
                ("namespace", JsonSchemaType.String, false, "Kubernetes namespace"),
                ("verdict", JsonSchemaType.String, false, "allow, warn, waived or deny"),
                ("client", JsonSchemaType.String, false, "API client"),
                ("identity", JsonSchemaType.String, false, "CI identity: a keyless certificate's subject (e.g. a workflow ref URI), exact"),
                ("from", JsonSchemaType.String, false, "recorded at or after (RFC 3339 with offset)"),
                ("to", JsonSchemaType.String, false, "recorded before (RFC 3339 with offset)"),
                ("order", JsonSchemaType.String, false, "asc (oldest first, default) or desc"),
                ("cursor", JsonSchemaType.String, false, "nextCursor of the previous page"),
                ("limit", JsonSchemaType.Integer, false, $"1..{MaxPageSize}, default {DefaultPageSize}"))
            .Produces<EntriesResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapGet("/entries/{index}", GetEntryAsync)
            .WithName("LedgerEntry")
            .Produces<EntryResponse>(StatusCodes.Status200OK)
            .ProducesLedgerProblems();

        api.MapGet("/proofs/inclusion", GetInclusionProofAsync)
            .WithName("LedgerInclusionProof")
            .WithQueryParameters(
                ("index", JsonSchemaType.Integer, true, "the entry to prove"),
                ("treeSize", JsonSchemaType.Integer, false, "default: the latest checkpoint's size"))
            .Produces<InclusionProofResponse>(StatusCodes.Status200OK)
            .ProducesLedgerProblems();

        api.MapGet("/proofs/consistency", GetConsistencyProofAsync)
            .WithName("LedgerConsistencyProof")
            .WithQueryParameters(
                ("from", JsonSchemaType.Integer, true, "the older tree size"),
                ("to", JsonSchemaType.Integer, true, "the newer tree size"))
            .Produces<ConsistencyProofResponse>(StatusCodes.Status200OK)
            .ProducesLedgerProblems();

        api.MapGet("/export", LedgerStreams.ExportAsync)
            .WithName("LedgerExport")
            .WithQueryParameters(
                ("start", JsonSchemaType.Integer, false, "first index, default 0"),
                ("end", JsonSchemaType.Integer, false, "exclusive, default the ledger's size"))
            .Produces(StatusCodes.Status200OK, contentType: LedgerStreams.JsonLinesType)
            .ProducesLedgerProblems();

        api.MapGet("/log/{**path}", LedgerStreams.GetLogFileAsync)
            .WithName("LedgerLogFile")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesLedgerProblems();

        endpoints.MapAuditPage();
        return api;
    }

    private static async Task<IResult> GetCheckpointAsync(HttpContext context, AuditLedger ledger, PublishedCheckpoints published, WitnessingState witnessing,
        CancellationToken cancellationToken)
    {
        var parameters = AuditParameters.Read(context.Request);
        if (parameters.Failed) return BadRequest(parameters.Error);
        var latest = await published.LatestAsync(cancellationToken).ConfigureAwait(false);
        if (latest is null) return NotFound("the ledger has no signed checkpoint yet");
        var response = new CheckpointResponse(ledger.Origin, latest.Size, Convert.ToBase64String(latest.RootHash), latest.Note,
            [.. ledger.VerifierKeys.Select(k => k.ToString())]);
        if (witnessing.Quorum.Witnesses.Count > 0)
        {
            var witnessed = await published.WitnessedAsync(cancellationToken).ConfigureAwait(false);
            response = response with
            {
                WitnessKeys = [.. witnessing.Quorum.Witnesses.Select(k => k.ToString())],
                Witnessed = witnessed is null ? null : new WitnessedCheckpointResponse(witnessed.Size, witnessed.Note, witnessing.Quorum.Required),
            };
        }
        return Results.Json(response, AuditJsonContext.Default.CheckpointResponse);
    }

    private static async Task<IResult> QueryEntriesAsync(HttpContext context, AuditLedger ledger, CancellationToken cancellationToken)
    {
        var p = AuditParameters.Read(context.Request, EntryFilters);
        var (image, repository, imageDigest) = ImageSearch.Parse(p.Text("image"));
        var digest = p.Text("digest");
        if (imageDigest is not null && digest is not null && imageDigest != digest)
            p.Fail($"'image' names digest {imageDigest} but 'digest' is {Clip(digest)}; give one of them");
        var query = new LedgerQuery
        {
            Kind = p.Text("kind"),
            Image = image,
            Repository = repository,
            Digest = digest ?? imageDigest,
            Namespace = p.Text("namespace"),
            Verdict = p.Text("verdict"),
            Client = p.Text("client"),
            Identity = p.Text("identity"),
            From = p.Time("from"),
            To = p.Time("to"),
        };
        var order = p.Text("order") ?? "asc";
        if (order is not ("asc" or "desc")) p.Fail($"'order' must be asc (oldest first) or desc (newest first), got '{Clip(order)}'");
        // The cursor is the last index of the previous page: pages continue after it (asc) or before it (desc).
        var cursor = p.Integer("cursor", 0, long.MaxValue - 1);
        query = order == "desc"
            ? query with { NewestFirst = true, BeforeIndex = cursor ?? long.MaxValue }
            : query with { AfterIndex = cursor ?? -1 };
        var limit = (int)(p.Integer("limit", 1, MaxPageSize, DefaultPageSize) ?? DefaultPageSize);
        if (query is { From: { } from, To: { } to } && from >= to) p.Fail("'from' must be earlier than 'to' (from is inclusive, to exclusive)");
        if (p.Failed) return BadRequest(p.Error);

        // One row more than asked tells whether another page exists, so the last page has no cursor.
        var rows = await ledger.Store.QueryAsync(query with { Limit = limit + 1 }, cancellationToken).ConfigureAwait(false);
        // Only what verifies is handed out: a row whose columns matched the filter but whose body says otherwise, or
        // whose body is not the one the signed tree holds, is withheld and named.
        var checkedRows = await VerifiedEntries.CheckAsync(ledger.Store, ledger.Trust, [.. rows.Take(limit)], cancellationToken).ConfigureAwait(false);
        var page = new List<EntryResponse>(Math.Min(rows.Count, limit));
        var withheld = new List<WithheldEntry>();
        long bytes = 0;
        long? last = null;
        foreach (var (row, problem) in checkedRows)
        {
            if (last is not null && bytes + row.Body.Length > MaxPageBytes) break;
            bytes += row.Body.Length;
            last = row.Index;
            if (problem is null) page.Add(ToResponse(row));
            else withheld.Add(new WithheldEntry(row.Index, $"entry {row.Index} does not verify: {problem}"));
        }
        var next = last is { } l && rows.Count > page.Count + withheld.Count ? l.ToString(CultureInfo.InvariantCulture) : null;
        return Results.Json(new EntriesResponse(page, next, withheld.Count == 0 ? null : withheld), AuditJsonContext.Default.EntriesResponse);
    }

    private static async Task<IResult> GetEntryAsync(HttpContext context, string index, AuditLedger ledger, CancellationToken cancellationToken)
    {
        var p = AuditParameters.Read(context.Request);
        if (p.Failed) return BadRequest(p.Error);
        if (!TryParseIndex(index, out var at)) return BadRequest($"entry index must be a non-negative integer, got '{Clip(index)}'");
        var store = ledger.Store;
        var size = await store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
        if (at >= size) return NotFound($"entry {at} does not exist: the ledger holds {size} entries (0..{size - 1})");
        await foreach (var row in store.ReadEntriesAsync(at, at + 1, cancellationToken).ConfigureAwait(false))
        {
            var (_, problem) = (await VerifiedEntries.CheckAsync(store, ledger.Trust, [row], cancellationToken).ConfigureAwait(false))[0];
            if (problem is not null) throw new LedgerCorruptException($"entry {at} does not verify: {problem}");
            return Results.Json(ToResponse(row), AuditJsonContext.Default.EntryResponse);
        }
        return NotFound($"entry {at} is missing from the store; run attest ledger verify");
    }

    private static async Task<IResult> GetInclusionProofAsync(HttpContext context, AuditLedger ledger, PublishedCheckpoints published, CancellationToken cancellationToken)
    {
        var p = AuditParameters.Read(context.Request, "index", "treeSize");
        var index = p.Integer("index", 0, long.MaxValue - 1);
        var requestedSize = p.Integer("treeSize", 1, long.MaxValue);
        if (!p.Failed && index is null) p.Fail("'index' is required: the index of the entry to prove");
        if (p.Failed || index is null) return BadRequest(p.Error ?? "'index' is required");

        var latest = await published.LatestAsync(cancellationToken).ConfigureAwait(false);
        var size = await ledger.Store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
        long treeSize;
        if (requestedSize is { } requested)
        {
            if (requested > size) return NotFound($"tree size {requested} is beyond the ledger, which holds {size} entries");
            treeSize = requested;
        }
        else if (latest is null) return NotFound("the ledger has no signed checkpoint yet; give treeSize to prove against an unsigned tree");
        else treeSize = latest.Size;
        if (index.Value >= treeSize)
            return index.Value < size
                ? NotFound($"entry {index} is not in the tree of size {treeSize} (not yet covered by that checkpoint); ask again with a larger treeSize once a checkpoint covers it")
                : NotFound($"entry {index} does not exist: the ledger holds {size} entries");

        var proof = await ledger.GetInclusionProofAsync(index.Value, treeSize, cancellationToken).ConfigureAwait(false);
        var (root, note) = await RootAndNoteAsync(ledger.Store, published, latest, treeSize, cancellationToken).ConfigureAwait(false);
        return Results.Json(new InclusionProofResponse(index.Value, treeSize, [.. proof.Hashes.Select(Convert.ToBase64String)], Convert.ToBase64String(root), note),
            AuditJsonContext.Default.InclusionProofResponse);
    }

    private static async Task<IResult> GetConsistencyProofAsync(HttpContext context, AuditLedger ledger, PublishedCheckpoints published, CancellationToken cancellationToken)
    {
        var p = AuditParameters.Read(context.Request, "from", "to");
        var from = p.Integer("from", 1, long.MaxValue);
        var to = p.Integer("to", 1, long.MaxValue);
        if (!p.Failed && (from is null || to is null)) p.Fail("'from' and 'to' (tree sizes) are both required");
        if (!p.Failed && from > to) p.Fail($"'from' ({from}) must not be larger than 'to' ({to})");
        if (p.Failed) return BadRequest(p.Error);

        var size = await ledger.Store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
        if (to > size) return NotFound($"tree size {to} is beyond the ledger, which holds {size} entries");
        var latest = await published.LatestAsync(cancellationToken).ConfigureAwait(false);
        var proof = await ledger.GetConsistencyProofAsync(from!.Value, to!.Value, cancellationToken).ConfigureAwait(false);
        var fromRoot = await ledger.Store.GetRootAsync(from.Value, cancellationToken).ConfigureAwait(false);
        var (toRoot, note) = await RootAndNoteAsync(ledger.Store, published, latest, to.Value, cancellationToken).ConfigureAwait(false);
        return Results.Json(new ConsistencyProofResponse(from.Value, to.Value, [.. proof.Hashes.Select(Convert.ToBase64String)],
            Convert.ToBase64String(fromRoot), Convert.ToBase64String(toRoot), note), AuditJsonContext.Default.ConsistencyProofResponse);
    }

    /// <summary>The root of the tree of <paramref name="size"/>, and the published note when that size is the latest
    /// checkpoint's or a witnessed one's (with the witnesses' cosignatures).</summary>
    private static async Task<(byte[] Root, string? Note)> RootAndNoteAsync(ILedgerStore store, PublishedCheckpoints published, StoredCheckpoint? latest,
        long size, CancellationToken cancellationToken)
    {
        if (latest is not null && latest.Size == size) return (latest.RootHash, latest.Note);
        return (await store.GetRootAsync(size, cancellationToken).ConfigureAwait(false),
            await published.NoteAtAsync(size, latest, cancellationToken).ConfigureAwait(false));
    }

    internal static EntryResponse ToResponse(StoredEntry row)
    {
        var leaf = Convert.ToBase64String(row.Body);
        if (!LedgerEntryCodec.TryParse(row.Body, out var entry, out var error))
            return new EntryResponse(row.Index, null, null, null, null, null, null, null, null, leaf, $"entry bytes are unreadable: {error}");
        var e = entry.Entry;
        var mismatch = entry.Index == row.Index ? null : $"entry bytes name index {entry.Index}, stored at {row.Index}";
        return new EntryResponse(row.Index, entry.RecordedAtText, e.Kind, e.Image, e.Digest, e.Namespace, e.Verdict, e.Client, e.Details, leaf, mismatch, e.Identity);
    }

    internal static bool TryParseIndex(string text, out long index)
    {
        index = -1;
        return text.Length is > 0 and <= 19 && text.All(char.IsAsciiDigit) &&
               long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    internal static IResult BadRequest(string message) =>
        Results.Problem(title: "Bad request", detail: message, statusCode: StatusCodes.Status400BadRequest);

    internal static IResult NotFound(string message) =>
        Results.Problem(title: "Not found", detail: message, statusCode: StatusCodes.Status404NotFound);

    /// <summary>What every ledger read can fail with: a bad parameter, an index or size the log does not have, a ledger
    /// database that cannot be reached (<see cref="Api.LedgerExceptionHandler"/>).</summary>
    private static RouteHandlerBuilder ProducesLedgerProblems(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    internal static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
