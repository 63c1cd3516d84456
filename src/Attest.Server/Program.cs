using Attest.Server.Hosting;

namespace Attest.Server;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        WebApplication? app = null;
        try
        {
            app = await AttestServer.BuildAsync(args).ConfigureAwait(false);
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is StartupException or IOException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            // One line a person can act on; IOException here is Kestrel failing to bind ("address already in use").
            await Console.Error.WriteLineAsync($"attest-server: error: {e.Message}").ConfigureAwait(false);
            if (app is not null) await app.DisposeAsync().ConfigureAwait(false);
            return 2;
        }

        await app.WaitForShutdownAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        return 0;
    }
}
