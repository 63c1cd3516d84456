using Attest.Server.Hosting;

namespace Attest.Server.Auth;

/// <summary>
/// The way back from a lost or revoked administrator: with <c>Attest:Auth:RecoveryCredentialsFile</c> set, start-up
/// creates a new administrator and writes its credentials to that file (owner-only). Whoever can restart the server
/// with a setting already holds its data directory and keys, so this gives nobody more than they have; the creation
/// is a <c>client.created</c> ledger entry by "attest recovery", so auditors see it. The file is written before the
/// client is registered, and a file this server wrote but did not register (a start that failed in between) is
/// registered on the next start; an existing file whose client exists means the recovery is done, and nothing happens.
/// </summary>
internal static partial class AdministratorRecovery
{
    public const string RecordedBy = "attest recovery (Attest:Auth:RecoveryCredentialsFile)";

    public static async Task RecoverAsync(ClientDirectory clients, AuthOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        if (options.RecoveryCredentialsFile is not { Length: > 0 } file) return;
        var path = Path.GetFullPath(file);
        try
        {
            IReadOnlyList<string> scopes = [Scopes.Admin, Scopes.Audit];
            var credentials = AuthSetup.ReadCredentials(path);
            if (credentials is not null && await clients.Store.FindAsync(credentials.ClientId, cancellationToken).ConfigureAwait(false) is not null) return;
            if (credentials is null)
            {
                credentials = new ClientCredentials(ClientSecrets.NewClientId(), ClientSecrets.NewSecret());
                AuthSetup.WriteCredentials(path, credentials, scopes);
            }
            await clients.CreateAsync("recovery-admin", scopes, RecordedBy, cancellationToken, credentials).ConfigureAwait(false);
            Log.Recovered(logger, credentials.ClientId, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"Attest:Auth:RecoveryCredentialsFile {path}: {e.Message}", e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.AdministratorRecovered, Level = LogLevel.Warning,
            Message = "Created recovery administrator {ClientId} (Attest:Auth:RecoveryCredentialsFile); its credentials are in {Path} (owner-only)")]
        public static partial void Recovered(ILogger logger, string clientId, string path);
    }
}
