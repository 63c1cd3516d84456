using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Ledger;
using Attest.Server.Tests.Hosting;

namespace Attest.Server.Tests.Audit;

/// <summary>A page of entries is bounded in bytes as well as in count: large entries end it early, with a cursor,
/// and paging still visits every entry once.</summary>
public sealed class LargeEntriesPagingTests
{
    [Fact]
    public async Task Page_of_large_entries_ends_before_four_mebibytes_and_paging_still_returns_all()
    {
        using var workspace = new ServerWorkspace();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        SeededLedgerServer.WriteSigningKey(workspace, key);
        const int count = 80;
        var padding = new string('x', 60_000); // 80 entries of ~60 kB: about 4.8 MB in all
        var (store, ledger) = await SeededLedgerServer.OpenLedgerAsync(workspace, key, TimeProvider.System);
        await using (store)
        await using (ledger)
        {
            for (var i = 0; i < count; i++)
                await ledger.AppendAsync(LedgerEntry.OperatorNote(JsonDocument.Parse($$"""{"n":{{i}},"padding":"{{padding}}"}""").RootElement.Clone()));
            await ledger.CheckpointAsync();
        }

        await using var server = await workspace.Start().WaitUntilListeningAsync();
        using var client = await AuditAccess.CreateClientAsync(server);
        var first = await client.GetFromJsonAsync<JsonElement>("v1/ledger/entries?kind=note&limit=1000");
        var entries = first.GetProperty("entries").EnumerateArray().ToList();
        var bytes = entries.Sum(e => Convert.FromBase64String(e.GetProperty("leaf").GetString()!).Length);
        Assert.InRange(entries.Count, 60, count - 1);
        Assert.InRange(bytes, 3 * 1024 * 1024, 4 * 1024 * 1024);
        var cursor = first.GetProperty("nextCursor").GetString();
        Assert.Equal(entries[^1].GetProperty("index").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), cursor);

        var second = await client.GetFromJsonAsync<JsonElement>($"v1/ledger/entries?kind=note&limit=1000&cursor={cursor}");
        var rest = second.GetProperty("entries").EnumerateArray().ToList();
        Assert.False(second.TryGetProperty("nextCursor", out _));
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), entries.Concat(rest).Select(e => e.GetProperty("index").GetInt64()));
    }
}
