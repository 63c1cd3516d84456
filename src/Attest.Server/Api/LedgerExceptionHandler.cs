using System.Data.Common;
using Attest.Ledger;
using Microsoft.AspNetCore.Diagnostics;

namespace Attest.Server.Api;

/// <summary>
/// Requests the ledger cannot serve right now are answered at once with 503 and <c>Retry-After</c>, as RFC 9457
/// problems: an append that met a full queue (<see cref="LedgerBusyException"/>, pushback: nothing was recorded, so
/// nothing was done), a ledger or client store whose database cannot be reached, and a ledger an audit found altered
/// (it records nothing more until it is restored). Anything else is left to the default handler.
/// </summary>
internal sealed class LedgerExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (title, code, retryAfter) = exception switch
        {
            LedgerBusyException => ("ledger busy", LedgerBusyException.Code, LedgerBusyException.RetryAfterSeconds),
            DbException => ("ledger unavailable", "ledger.unavailable", 5),
            LedgerCorruptException => ("Ledger does not verify", "ledger.corrupt", 60),
            _ => ((string?)null, (string?)null, 0),
        };
        if (title is null) return false;
        context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var detail = exception switch
        {
            LedgerBusyException => exception.Message,
            LedgerCorruptException => $"{exception.Message}; run attest ledger verify",
            _ => "the ledger's database cannot be reached; try again shortly",
        };
        await TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: title,
            extensions: new Dictionary<string, object?> { ["code"] = code }).ExecuteAsync(context).ConfigureAwait(false);
        return true;
    }
}
