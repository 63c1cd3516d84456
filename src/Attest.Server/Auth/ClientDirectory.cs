using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Ledger;

namespace Attest.Server.Auth;

/// <summary>
/// The registered clients as the server uses them: authenticates client credentials, answers for every request whether
/// its access token still stands (read from the store every time, never cached: replicas share the store, and a
/// revocation through one must hold on all at once), and records every creation and revocation in the ledger.
/// </summary>
public sealed class ClientDirectory(AuditLedger ledger, ClientStore store, TimeProvider time)
{
    private static readonly byte[] DummyHash = ClientSecrets.Hash("attest: no such client");
    public ClientStore Store => store;

    /// <summary>The client when the secret is right and the client active; null otherwise (same work either way, so
    /// timing does not tell an unknown client from a wrong secret).</summary>
    public async Task<OAuthClient?> AuthenticateAsync(string clientId, string secret, CancellationToken cancellationToken)
    {
        var found = clientId.Length <= 128 ? await Store.FindAsync(clientId, cancellationToken).ConfigureAwait(false) : null;
        var matches = ClientSecrets.Matches(secret, found?.SecretHash ?? DummyHash);
        return found is { Client.IsActive: true } && matches ? found.Value.Client : null;
    }

    /// <summary>Why an access token may no longer be used (its client was revoked, or the token itself), or null. One
    /// query of the shared store per call, so both revocations hold on every replica at once.</summary>
    public async ValueTask<string?> RefusalAsync(string clientId, string? tokenId, CancellationToken cancellationToken)
    {
        if (tokenId is null) return "the access token has no token id";
        var (clientActive, tokenRevoked) = await Store.StandingAsync(clientId, tokenId, cancellationToken).ConfigureAwait(false);
        if (!clientActive) return "the client has been revoked";
        return tokenRevoked ? "the access token has been revoked" : null;
    }

    /// <summary>Revokes one access token (RFC 7009) until it expires.</summary>
    public Task RevokeTokenAsync(string tokenId, string clientId, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        Store.RevokeTokenAsync(tokenId, clientId, expiresAt, time.GetUtcNow(), cancellationToken);

    /// <summary>Registers a client and returns it with its secret (shown once, never stored). The ledger entry is
    /// written first: a client that exists was always recorded.</summary>
    public async Task<(OAuthClient Client, string Secret)> CreateAsync(string name, IReadOnlyList<string> scopes, string createdBy, CancellationToken cancellationToken,
        ClientCredentials? credentials = null)
    {
        var clientId = credentials?.ClientId ?? ClientSecrets.NewClientId();
        var secret = credentials?.Secret ?? ClientSecrets.NewSecret();
        await RecordAsync(LedgerEntryKinds.ClientCreated, clientId, new JsonObject
        {
            ["name"] = name,
            ["scopes"] = new JsonArray(scopes.Select(s => (JsonNode)s).ToArray()),
            ["by"] = createdBy,
        }, cancellationToken).ConfigureAwait(false);
        var client = await Store.CreateAsync(clientId, name, scopes, ClientSecrets.Hash(secret), time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return (client, secret);
    }

    /// <summary>Revokes a client: refused from now on, tokens already issued included. The store is changed first, so
    /// a revocation takes effect even if recording it fails. The last active administrator is kept (and returned with
    /// <c>LastAdministrator</c> set): revoking it would leave nobody able to manage clients or keys.</summary>
    public async Task<(OAuthClient? Client, bool LastAdministrator)> RevokeAsync(string clientId, string revokedBy, CancellationToken cancellationToken)
    {
        var (client, lastAdministrator) = await Store.RevokeAsync(clientId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (client is null || lastAdministrator) return (client, lastAdministrator);
        await RecordAsync(LedgerEntryKinds.ClientRevoked, clientId, new JsonObject { ["by"] = revokedBy }, cancellationToken).ConfigureAwait(false);
        return (client, false);
    }

    private async Task RecordAsync(string kind, string clientId, JsonObject details, CancellationToken cancellationToken)
    {
        await ledger.AppendAsync(new LedgerEntry
        {
            Kind = kind,
            Client = clientId,
            Details = LedgerEntry.DetailsFrom(details),
        }, cancellationToken).ConfigureAwait(false);
    }
}
