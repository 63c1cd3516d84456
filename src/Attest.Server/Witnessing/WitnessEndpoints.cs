using Attest.Core.IO;
using Attest.Ledger.Witnessing;

namespace Attest.Server.Witnessing;

/// <summary>
/// <c>POST /witness/add-checkpoint</c>: this server as a c2sp.org/tlog-witness witness (submission prefix
/// <c>/witness</c>). The protocol has no authentication beyond the log's signature on the checkpoint; requests are
/// size-bounded and rate-limited per address. Answers are the protocol's plain text (409 with the witness's size as
/// <c>text/x.tlog.size</c>), so any tlog-witness client understands them.
/// </summary>
public static class WitnessEndpoints
{
    public const string Tag = "witness";

    public static void MapWitnessEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/witness/add-checkpoint", AddCheckpointAsync)
            .WithName("WitnessAddCheckpoint")
            .WithTags(Tag)
            .Accepts<string>("text/plain")
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .Produces<string>(StatusCodes.Status400BadRequest, "text/plain")
            .Produces<string>(StatusCodes.Status403Forbidden, "text/plain")
            .Produces<string>(StatusCodes.Status404NotFound, "text/plain")
            .Produces<string>(StatusCodes.Status409Conflict, AddCheckpointRequest.SizeContentType)
            .Produces<string>(StatusCodes.Status413PayloadTooLarge, "text/plain")
            .Produces<string>(StatusCodes.Status422UnprocessableEntity, "text/plain")
            .Produces(StatusCodes.Status429TooManyRequests)
            .RequireRateLimiting(WitnessingSetup.RateLimit);
    }

    private static async Task<IResult> AddCheckpointAsync(HttpContext context, WitnessingState state, ILogger<WitnessingState> logger, CancellationToken cancellationToken)
    {
        if (state.Witness is not { } witness) return Results.Text("this server is not a witness\n", "text/plain", statusCode: StatusCodes.Status404NotFound);
        if (context.Request.ContentLength > AddCheckpointRequest.MaxBytes)
            return Results.Text($"the request is larger than {AddCheckpointRequest.MaxBytes} bytes\n", "text/plain", statusCode: StatusCodes.Status413PayloadTooLarge);
        var body = await BoundedRead.ReadAllAsync(context.Request.Body, AddCheckpointRequest.MaxBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
            return Results.Text($"the request is larger than {AddCheckpointRequest.MaxBytes} bytes\n", "text/plain", statusCode: StatusCodes.Status413PayloadTooLarge);
        var answer = await witness.AddCheckpointAsync(body, cancellationToken).ConfigureAwait(false);
        // A refusal after the log's signature verified may be evidence of a misbehaving log: keep it in the log.
        if (answer.Refusal is { } reason && answer.StatusCode is 409 or 422) WitnessingLog.CosignRefused(logger, reason);
        return Results.Text(answer.Body, answer.ContentType, statusCode: answer.StatusCode);
    }
}
