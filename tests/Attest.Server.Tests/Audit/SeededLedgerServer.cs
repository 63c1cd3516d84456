using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Core.Transparency;
using Attest.Ledger;
using Attest.Server.Tests.Hosting;
using Attest.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Attest.Server.Tests.Audit;

/// <summary>
/// A real server over a ledger seeded before it starts: the server's signing key is written first, and decisions,
/// signatures and checkpoints are appended with that key at chosen times (three days, several hours), so the audit
/// API and page have known entries to list, filter, chart and prove. Starting the server appends a policy.loaded
/// entry; the fixture waits until a signed checkpoint covers it, so every entry is provable.
/// </summary>
public sealed class SeededLedgerServer : IAsyncLifetime
{
    public const string Origin = "attest.local/ledger";
    public const string AppImage = "registry.example.com/prod/app:v1";
    public const string ApiImage = "registry.example.com/prod/api:v2";
    public static readonly string AppDigest = "sha256:" + new string('a', 64);
    public static readonly string ApiDigest = "sha256:" + new string('b', 64);
    public static readonly string SignedDigest = "sha256:" + new string('c', 64);
    public const string DenyReason = "signature.untrusted";
    public const string DenyCause = "tlog.unknown-log";

    /// <summary>(time, image, digest, namespace, verdict) of each seeded decision, in append order.</summary>
    public static readonly (DateTimeOffset At, string Image, string Digest, string Namespace, string Verdict)[] Decisions =
    [
        (At(18, 10, 5), AppImage, AppDigest, "prod", "allow"),
        (At(18, 10, 20), AppImage, AppDigest, "prod", "allow"),
        (At(18, 10, 40), ApiImage, ApiDigest, "prod", "allow"),
        (At(18, 11, 2), ApiImage, ApiDigest, "staging", "deny"),
        (At(19, 14, 0), AppImage, AppDigest, "staging", "warn"),
        (At(19, 14, 30), AppImage, AppDigest, "staging", "warn"),
        (At(19, 14, 45), ApiImage, ApiDigest, "prod", "allow"),
        (At(20, 9, 1), ApiImage, ApiDigest, "prod", "deny"),
        (At(20, 9, 2), ApiImage, ApiDigest, "prod", "deny"),
        (At(20, 9, 30), AppImage, AppDigest, "prod", "allow"),
        (At(20, 9, 31), AppImage, AppDigest, "prod", "allow"),
    ];

    /// <summary>Entries 0..10 are the decisions above, then two signatures by client ci-release (11, 12).</summary>
    public const int SeededEntries = 13;

    /// <summary>A checkpoint was signed over the first 8 entries while seeding (an older signed size).</summary>
    public const int EarlierCheckpointSize = 8;

    private readonly ServerWorkspace _workspace = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public ServerProcess Server { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string DatabasePath => Path.Combine(_workspace.DataDirectory, "ledger.db");

    public string WorkspacePath => _workspace.Path;

    /// <summary>The ledger key, as auditors pin it.</summary>
    public NoteVerifierKey VerifierKey => NoteVerifierKey.ForEcdsa(Origin, _key.ExportSubjectPublicKeyInfo());

    /// <summary>Size of the ledger once the server has started: the seeded entries and what start-up and the tests'
    /// access recorded after them (policy.loaded, the bootstrap administrator, the managed key, the audit client).</summary>
    public long Size { get; private set; }

    public async Task InitializeAsync()
    {
        WriteSigningKey();
        await SeedAsync();
        Server = await _workspace.Start().WaitUntilListeningAsync();
        Client = await AuditAccess.CreateClientAsync(Server);
        await using (var store = await SqliteLedgerStore.OpenAsync(DatabasePath)) Size = await store.GetSizeAsync();
        Assert.True(Size > SeededEntries);
        // The server's own entries are signed into a checkpoint within a second (the ledger's interval).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var checkpoint = await Client.GetFromJsonAsync<JsonElement>("v1/ledger/checkpoint");
            if (checkpoint.GetProperty("size").GetInt64() == Size) break;
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"no checkpoint covers the server's entry: {checkpoint}");
            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        _key.Dispose();
        _workspace.Dispose();
    }

    private void WriteSigningKey() => WriteSigningKey(_workspace, _key);

    /// <summary>Writes <paramref name="key"/> where the server looks for its signing key (owner-only, as it requires).</summary>
    internal static void WriteSigningKey(ServerWorkspace workspace, ECDsa key)
    {
        var path = Path.Combine(workspace.DataDirectory, "keys", "signing-key.pem");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Opens the workspace's ledger as the server will, signing with <paramref name="key"/>; checkpoints only
    /// when asked, at the times <paramref name="time"/> says.</summary>
    internal static async Task<(SqliteLedgerStore Store, AuditLedger Ledger)> OpenLedgerAsync(ServerWorkspace workspace, ECDsa key, TimeProvider time)
    {
        var store = await SqliteLedgerStore.OpenAsync(Path.Combine(workspace.DataDirectory, "ledger.db"));
        var ledger = await AuditLedger.OpenAsync(store, new AuditLedgerOptions { Origin = Origin, CheckpointEveryEntries = 1_000_000, CheckpointInterval = TimeSpan.FromDays(30) },
            [new EcdsaNoteSigner(Origin, key)], time);
        return (store, ledger);
    }

    private async Task SeedAsync()
    {
        var time = new FakeTimeProvider(Decisions[0].At);
        var (store, ledger) = await OpenLedgerAsync(_workspace, _key, time);
        await using var _ = store;
        await using var __ = ledger;
        for (var i = 0; i < Decisions.Length; i++)
        {
            var d = Decisions[i];
            time.SetUtcNow(d.At);
            // A denial carries its reason and the finding it follows from, as the webhook records them.
            var reasons = d.Verdict == "deny" ? $$""","reasons":[{"code":"{{DenyReason}}","message":"no signature of {{d.Image}} verifies under policy production","causes":[{"code":"{{DenyCause}}","message":"Transparency log entry 3 comes from log 9n3PZcNXs0ZgZbR5ZKM0fpUgq9vL4J2Zm6sQm0Gv6mE=, which the trusted root does not list."}]}]""" : "";
            var details = JsonDocument.Parse($$"""{"uid":"seed-{{i}}"{{reasons}},"policies":[{"policy":"production","passed":{{(d.Verdict == "deny" ? "false" : "true")}}}]}""").RootElement.Clone();
            await ledger.AppendAsync(LedgerEntry.AdmissionDecision(d.Image, d.Digest, d.Namespace, d.Verdict, details));
            if (i + 1 == EarlierCheckpointSize) await ledger.CheckpointAsync();
        }
        time.SetUtcNow(At(20, 12, 0));
        await ledger.AppendAsync(LedgerEntry.SignatureIssued(SignedDigest, "ci-release", JsonDocument.Parse("""{"keyId":"seed"}""").RootElement.Clone()));
        time.SetUtcNow(At(20, 12, 5));
        await ledger.AppendAsync(LedgerEntry.SignatureIssued(AppDigest, "ci-release"));
        await ledger.CheckpointAsync();
    }

    private static DateTimeOffset At(int day, int hour, int minute) => new(2026, 11, day, hour, minute, 0, TimeSpan.Zero);
}
