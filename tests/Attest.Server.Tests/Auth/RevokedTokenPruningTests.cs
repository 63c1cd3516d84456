using Attest.Server.Auth;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Auth;

/// <summary>
/// The revoked-token records (RFC 7009) in the client store, SQLite and PostgreSQL: a record stays while any replica
/// could still take its token as live (unexpired, or expired so recently that a replica whose clock lags could still
/// accept it), and goes once nobody could, when a later revocation prunes; the client's own standing is read with it.
/// </summary>
public sealed class RevokedTokenPruningTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Records_are_pruned_only_once_their_token_expired_beyond_the_retention(string provider)
    {
        using var directory = new TempDirectory("attest-revoked");
        var store = await OpenAsync(provider, directory);
        var retention = ClientStore.RevokedTokenRetention;

        await store.RevokeTokenAsync("live", "client-1", Now + TimeSpan.FromMinutes(5), Now - TimeSpan.FromMinutes(1));
        await store.RevokeTokenAsync("expired-a-minute-ago", "client-1", Now - TimeSpan.FromMinutes(1), Now - TimeSpan.FromMinutes(2));
        await store.RevokeTokenAsync("expired-at-the-horizon", "client-1", Now - retention, Now - retention - TimeSpan.FromMinutes(1));
        await store.RevokeTokenAsync("expired-beyond-the-horizon", "client-1", Now - retention - TimeSpan.FromSeconds(1), Now - TimeSpan.FromHours(1));
        Assert.True(await IsRevokedAsync(store, "expired-beyond-the-horizon"), "nothing is pruned by the revocation that records it while it was live");

        // A later revocation prunes what no replica can accept any more, and nothing else.
        await store.RevokeTokenAsync("trigger", "client-1", Now + TimeSpan.FromHours(1), Now);
        Assert.True(await IsRevokedAsync(store, "live"));
        Assert.True(await IsRevokedAsync(store, "expired-a-minute-ago"), "a replica whose clock lags may still take this token as unexpired");
        Assert.True(await IsRevokedAsync(store, "expired-at-the-horizon"));
        Assert.False(await IsRevokedAsync(store, "expired-beyond-the-horizon"));
        Assert.True(await IsRevokedAsync(store, "trigger"));

        // Revoking again keeps the record (and its first revocation); a token never revoked is not.
        await store.RevokeTokenAsync("live", "client-1", Now + TimeSpan.FromMinutes(5), Now + TimeSpan.FromMinutes(1));
        Assert.True(await IsRevokedAsync(store, "live"));
        Assert.False(await IsRevokedAsync(store, "never-revoked"));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Standing_reads_the_client_and_the_token_from_the_store_every_time(string provider)
    {
        using var directory = new TempDirectory("attest-standing");
        var store = await OpenAsync(provider, directory);
        await store.CreateAsync("client-1", "ci", ["verify"], new byte[32], Now);

        Assert.Equal((true, false), await store.StandingAsync("client-1", "token-1"));
        Assert.Equal((false, false), await store.StandingAsync("no-such-client", "token-1"));
        await store.RevokeTokenAsync("token-1", "client-1", Now + TimeSpan.FromMinutes(5), Now);
        Assert.Equal((true, true), await store.StandingAsync("client-1", "token-1"));
        Assert.Equal((true, false), await store.StandingAsync("client-1", "token-2"));
        await store.RevokeAsync("client-1", Now);
        Assert.Equal((false, false), await store.StandingAsync("client-1", "token-2"));
    }

    private async Task<ClientStore> OpenAsync(string provider, TempDirectory directory) => provider == "sqlite"
        ? await ClientStore.OpenSqliteAsync(directory.Combine("clients.db"))
        : await ClientStore.OpenPostgresAsync(await SharedKeysServerTests.CreateDatabaseAsync(postgres));

    private static async Task<bool> IsRevokedAsync(ClientStore store, string tokenId) => (await store.StandingAsync("", tokenId)).TokenRevoked;
}
