using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Attest.Server.Tests.Admission;
using Attest.Testing;
using Microsoft.Data.Sqlite;

namespace Attest.Server.Tests.Hosting;

/// <summary>
/// Ledger pushback through the server: while the ledger's database is locked by another process, appends queue up to
/// Attest:Ledger:MaxPendingAppends; the next admission is denied at once with <c>ledger.busy</c> and the next API call
/// that would append is answered 503 with Retry-After, instead of either waiting for its deadline.
/// </summary>
public sealed class LedgerPushbackTests
{
    [Fact]
    public async Task A_full_ledger_queue_denies_admissions_with_ledger_busy_and_answers_the_api_503_at_once()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start("--Attest:Ledger:MaxPendingAppends=1").WaitUntilListeningAsync();
        var admin = await server.TokenAsync(ApiAccess.BootstrapAdmin(workspace.DataDirectory), "admin");
        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", $"registry.example.com/pushback/app@sha256:{new string('a', 64)}");

        // Once unblocked, so that the path is warm and the first request under the lock is not slowed by compilation.
        var (warmStatus, _) = await AdmissionRequests.PostAsync(server.Client, "admission/validate", review);
        Assert.Equal(200, warmStatus);

        await using var blocker = new SqliteConnection($"Data Source={Path.Combine(workspace.DataDirectory, "ledger.db")}");
        await blocker.OpenAsync();
        await Execute(blocker, "BEGIN IMMEDIATE");

        var waiting = new List<Task<(int Status, JsonDocument Body)>>();
        string? busyMessage = null;
        var busyIn = TimeSpan.Zero;
        for (var i = 0; i < 6 && busyMessage is null; i++)
        {
            var clock = Stopwatch.StartNew();
            var request = AdmissionRequests.PostAsync(server.Client, "admission/validate", review);
            var done = await Task.WhenAny(request, Task.Delay(300));
            if (done != request)
            {
                waiting.Add(request); // its decision waits for the ledger, as it must
                continue;
            }
            var (status, body) = await request;
            Assert.Equal(200, status);
            busyMessage = body.RootElement.GetProperty("response").GetProperty("status").GetProperty("message").GetString();
            busyIn = clock.Elapsed;
        }
        Assert.NotNull(busyMessage);
        Assert.Contains("[ledger.busy]", busyMessage, StringComparison.Ordinal);
        // Well inside the 8 s admission deadline and SQLite's 5 s lock wait: it did not wait for the ledger.
        Assert.True(busyIn < TimeSpan.FromSeconds(3), $"the denial took {busyIn.TotalMilliseconds:0} ms");

        var clientClock = Stopwatch.StartNew();
        using (var created = await server.SendAsync(HttpMethod.Post, "v1/clients", admin, JsonContent.Create(new { name = "during-pushback", scopes = new[] { "sign" } })))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, created.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), created.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", created.Content.Headers.ContentType?.MediaType);
            Assert.Contains("ledger.busy", await created.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.True(clientClock.Elapsed < TimeSpan.FromSeconds(3), $"the 503 took {clientClock.Elapsed.TotalMilliseconds:0} ms");

        await Execute(blocker, "ROLLBACK");
        var messages = (await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(30)))
            .Select(r => r.Body.RootElement.GetProperty("response").GetProperty("status").GetProperty("message").GetString()!).ToList();
        // Those that got a place in the queue were decided and recorded once the lock was gone; none failed for it.
        Assert.Contains(messages, m => m.Contains("[policy.none]", StringComparison.Ordinal));
        Assert.All(messages, m => Assert.True(m.Contains("[policy.none]", StringComparison.Ordinal) || m.Contains("[ledger.busy]", StringComparison.Ordinal), m));
    }

    private static async Task Execute(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
