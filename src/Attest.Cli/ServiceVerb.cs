using System.CommandLine;
using Attest.Oci;
using Attest.Sigstore.Clients;

namespace Attest.Cli;

/// <summary>
/// Runs a verb that talks to Attest, Sigstore services and registries, and turns every failure into one line on stderr
/// and an exit code: 1 when a service or registry refused (a token not accepted, a push denied), 2 when the input is
/// unusable or a service cannot be reached or answers nonsense.
/// </summary>
internal static class ServiceVerb
{
    public static async Task<int> RunAsync(ParseResult parse, Func<CancellationToken, Task<int>> verb, CancellationToken cancellationToken)
    {
        var error = parse.InvocationConfiguration.Error;
        async Task<int> Fail(string message, int code)
        {
            await error.WriteLineAsync($"attest: {ServiceCall.OneLine(message)}").ConfigureAwait(false);
            return code;
        }

        try
        {
            return await verb(cancellationToken).ConfigureAwait(false);
        }
        catch (CommandFailure e)
        {
            return await Fail(e.Message, e.ExitCode).ConfigureAwait(false);
        }
        catch (SigstoreServiceException e)
        {
            return await Fail(e.Message, e.Refused ? AttestCommand.ExitCodes.Findings : AttestCommand.ExitCodes.UnusableInput).ConfigureAwait(false);
        }
        catch (RegistryException e)
        {
            return await Fail($"the registry: {e.Message} [{e.Code}]", e.IsTransient ? AttestCommand.ExitCodes.UnusableInput : AttestCommand.ExitCodes.Findings).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            return await Fail($"cannot reach a service: {e.Message}", AttestCommand.ExitCodes.UnusableInput).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return await Fail("a service did not answer in time", AttestCommand.ExitCodes.UnusableInput).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return await Fail(e.Message, AttestCommand.ExitCodes.UnusableInput).ConfigureAwait(false);
        }
    }
}
