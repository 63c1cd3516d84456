using Attest.Ledger;

namespace Attest.Server.Hosting;

/// <summary>A ledger that does not verify (an audit stopped its signing, a proof's stored node is missing, a row does
/// not hash to its leaf) is the server's problem, said as such: 503 with a problem body naming it, never a bare 500.</summary>
internal static class LedgerFailures
{
    public static IApplicationBuilder UseLedgerFailures(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (LedgerCorruptException e) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await Results.Problem(title: "Ledger does not verify", detail: $"{e.Message}; run attest ledger verify",
                statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context).ConfigureAwait(false);
        }
    });
}
