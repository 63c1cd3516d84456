using System.Buffers;
using System.Text.Json;
using Attest.Ledger;
using Attest.Server.Api;
using Attest.Server.Auth;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Rekor;
using Attest.Sigstore.Signing;

namespace Attest.Server.Keyless;

/// <summary>
/// Rekor v2's write API (rekor-tiles <c>rekor_service.proto</c>) on the same ledger as v1: <c>POST /api/v2/log/entries</c>
/// takes a <c>CreateEntryRequest</c> (<c>hashedrekord</c> or <c>dsse</c> 0.0.2) and answers the protobuf-specs
/// <c>TransparencyLogEntry</c> with its inclusion proof and signed checkpoint; <c>GET /api/v2/checkpoint</c> serves the
/// latest checkpoint. As in Rekor v2 there is no SET and <c>integratedTime</c> is 0: a client proves the signing time with
/// a timestamp from the TSA. Entries are deduplicated as Tessera does: the same entry again gets the logged one back.
/// </summary>
public static class RekorV2Endpoints
{
    public static void MapRekorV2Endpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v2").WithTags("keyless").AllowAnonymous().RequireRateLimiting(AuthSetup.ApiRateLimit);
        api.MapPost("/log/entries", CreateEntryAsync)
            .WithName("CreateLogEntryV2")
            .Accepts<JsonElement>("application/json")
            .Produces<JsonElement>(StatusCodes.Status200OK)
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/checkpoint", GetCheckpointAsync)
            .WithName("GetCheckpointV2")
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> CreateEntryAsync(HttpContext context, RekorLog log)
    {
        var (bytes, problem) = await RekorEndpoints.ReadBodyAsync(context.Request, ProposedEntry.MaxBytes).ConfigureAwait(false);
        if (bytes is null) return problem!;
        if (!ProposedEntry.TryReadV2(bytes, out var entry, out var error))
            return RekorEndpoints.Problem(StatusCodes.Status400BadRequest, "the entry request is not accepted", error);
        var result = await log.AppendAsync(entry, context.RequestAborted).ConfigureAwait(false);
        TransparencyLogEntry logged;
        switch (result)
        {
            case RekorAppendResult.Refused refused:
                return RekorEndpoints.Problem(StatusCodes.Status403Forbidden, "the log does not take this entry", refused.Detail);
            case RekorAppendResult.Duplicate duplicate:
                if (await log.GetByUuidAsync(Convert.FromHexString(duplicate.Uuid), context.RequestAborted).ConfigureAwait(false) is not { } existing)
                    return RekorEndpoints.Problem(StatusCodes.Status409Conflict, "the entry is already in the log", $"an equal entry is logged with UUID {duplicate.Uuid}");
                logged = existing.Entry;
                break;
            default:
                logged = ((RekorAppendResult.Appended)result).Entry;
                Telemetry.AttestInstruments.Signed("log_entry");
                break;
        }
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
            BundleBuilder.WriteTransparencyLogEntry(writer, logged with { SignedEntryTimestamp = null, IntegratedTime = 0 });
        return Results.Bytes(buffer.WrittenMemory.ToArray(), "application/json");
    }

    private static async Task<IResult> GetCheckpointAsync(HttpContext context, AuditLedger ledger)
    {
        var checkpoint = await ledger.GetLatestCheckpointAsync(context.RequestAborted).ConfigureAwait(false);
        return checkpoint is null
            ? RekorEndpoints.Problem(StatusCodes.Status404NotFound, "no checkpoint yet", "the log is empty")
            : Results.Text(checkpoint.Note, "text/plain; charset=utf-8");
    }
}
