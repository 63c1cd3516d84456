using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Ledger;

namespace Attest.Server.Auth;

/// <summary>
/// The registered clients as the server uses them: authenticates client credentials, answers "is this client still
/// active" for every request (cached briefly; a revocation in this process takes effect at once), and records every
/// creation and revocation in the ledger.
/// </summary>
public sealed class ClientDirectory(AuditLedger ledger, ClientStore store, TimeProvider time)
{
    private static readonly TimeSpan ActiveCacheLifetime = TimeSpan.FromSeconds(2);
    private static readonly byte[] DummyHash = ClientSecrets.Hash("attest: no such client");
    private readonly ConcurrentDictionary<string, (bool Active, DateTimeOffset CheckedAt)> _active = new(StringComparer.Ordinal);
    public ClientStore Store => store;

    /// <summary>The client when the secret is right and the client active; null otherwise (same work either way, so
    /// timing does not tell an unknown client from a wrong secret).</summary>
    public async Task<OAuthClient?> AuthenticateAsync(string clientId, string secret, CancellationToken cancellationToken)
    {
        var found = clientId.Length <= 128 ? await Store.FindAsync(clientId, cancellationToken).ConfigureAwait(false) : null;
        var matches = ClientSecrets.Matches(secret, found?.SecretHash ?? DummyHash);
        return found is { Client.IsActive: true } && matches ? found.Value.Client : null;
    }

    public async ValueTask<bool> IsActiveAsync(string clientId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_active.TryGetValue(clientId, out var cached) && now - cached.CheckedAt < ActiveCacheLifetime) return cached.Active;
        var found = await Store.FindAsync(clientId, cancellationToken).ConfigureAwait(false);
        var active = found is { Client.IsActive: true };
        _active[clientId] = (active, now);
        return active;
    }

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
        _active[clientId] = (false, time.GetUtcNow());
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
