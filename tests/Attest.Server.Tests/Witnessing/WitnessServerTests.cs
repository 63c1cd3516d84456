using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Server.Tests.Audit;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Witnessing;

/// <summary>
/// Two real Attest processes: a log and a second Attest running as its witness (c2sp.org/tlog-witness). The log's
/// checkpoints come back cosigned; <c>attest ledger verify</c> requiring the witness passes on the log and fails on a
/// fork under the same key, which the witness refuses to cosign.
/// </summary>
public sealed class WitnessServerTests
{
    private const string LogOrigin = "attest.test/witnessed-log";
    private const string WitnessName = "witness.attest.test/w1";

    /// <summary>The log's checkpoint key, made by the test so the witness can be configured with it before the log starts.</summary>
    private static (string Pem, NoteVerifierKey Key) LogKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (key.ExportPkcs8PrivateKeyPem(), NoteVerifierKey.ForEcdsa(LogOrigin, key.ExportSubjectPublicKeyInfo()));
    }

    private static string WriteOwnerOnly(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static async Task<ServerProcess> StartWitnessAsync(ServerWorkspace workspace, NoteVerifierKey logKey, string witnessKeyFile) =>
        await workspace.Start(
            "--Attest:Ledger:Origin=witness.attest.test/ledger",
            "--Attest:Witness:Enabled=true",
            $"--Attest:Witness:Name={WitnessName}",
            $"--Attest:Witness:KeyPath={witnessKeyFile}",
            $"--Attest:Witness:Logs:0:Origin={LogOrigin}",
            $"--Attest:Witness:Logs:0:VerifierKeys:0={logKey}").WaitUntilListeningAsync();

    private static async Task<ServerProcess> StartLogAsync(ServerWorkspace workspace, string signingKeyFile, ServerProcess witness, NoteVerifierKey witnessKey) =>
        await workspace.Start(
            $"--Attest:Ledger:Origin={LogOrigin}",
            $"--Attest:SigningKey:Path={signingKeyFile}",
            $"--Attest:Witnessing:Witnesses:0:Url={witness.BaseUri}witness",
            $"--Attest:Witnessing:Witnesses:0:VerifierKey={witnessKey}").WaitUntilListeningAsync();

    [Fact]
    public async Task Witness_cosigns_the_log_and_refuses_a_fork_under_the_same_key()
    {
        using var witnessSpace = new ServerWorkspace();
        using var logSpace = new ServerWorkspace();
        using var forkSpace = new ServerWorkspace();
        var (pem, logKey) = LogKey();
        var witnessSigner = new Ed25519NoteSigner(WitnessName, Ed25519.GenerateSeed());
        var witnessKey = NoteVerifierKey.ForEd25519Cosignature(WitnessName, witnessSigner.VerifierKey.PublicKey);
        var witnessKeyFile = WriteOwnerOnly(witnessSpace.Combine("witness-key", "witness.key"), witnessSigner.ToPrivateKeyString() + "\n");

        await using var witness = await StartWitnessAsync(witnessSpace, logKey, witnessKeyFile);
        var signingKeyFile = WriteOwnerOnly(logSpace.Combine("log-key", "signing-key.pem"), pem);
        long witnessedSize;
        await using (var log = await StartLogAsync(logSpace, signingKeyFile, witness, witnessKey))
        {
            using var audit = await AuditAccess.CreateClientAsync(log);
            // Entries through the CI signing side grow the log past the start-up entry.
            var ci = await log.CreateClientAsync(logSpace.DataDirectory, "ci", "sign");
            var token = await log.TokenAsync(ci);
            for (var i = 0; i < 3; i++)
            {
                var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"artifact {i}")));
                using var signed = await log.SendAsync(HttpMethod.Post, "v1/signatures", token, System.Net.Http.Json.JsonContent.Create(new { digest }));
                Assert.Equal(HttpStatusCode.Created, signed.StatusCode);
            }
            var witnessed = await WaitForWitnessedAsync(audit, minimumSize: 4);
            witnessedSize = witnessed.GetProperty("size").GetInt64();
            var note = SignedNote.Parse(witnessed.GetProperty("note").GetString()!);
            Assert.True(new CosignatureQuorum([witnessKey], 1).IsMetBy(note));
            Assert.True(note.Verify([logKey]).IsValid);

            // The served tlog-tiles checkpoint is the witnessed one, and a URL audit requiring the witness passes.
            var overUrl = await RunCliAsync(logSpace.Path, new Dictionary<string, string> { ["ATTEST_TOKEN"] = await AuditAccess.TokenAsync(log) },
                "ledger", "verify", "--url", $"{log.BaseUri}v1/ledger/log/", "--vkey", logKey.ToString(), "--witness-vkey", witnessKey.ToString());
            Assert.True(overUrl.ExitCode == 0, overUrl.StandardError + overUrl.StandardOutput);

            // The auditors' page, told to require the witness, verifies against the witnessed checkpoint in the browser.
            var wrongWitness = NoteVerifierKey.ForEd25519Cosignature("witness.attest.test/other", Ed25519.PublicKeyFromSeed(Ed25519.GenerateSeed()));
            using var page = await AuditPageBrowserTests.RunAsync(new Dictionary<string, string>
            {
                ["AUDIT_URL"] = log.BaseUri.ToString(),
                ["AUDIT_TOKEN"] = await AuditAccess.TokenAsync(log),
                ["VERIFY_INDEX"] = "1",
                ["WITNESS_KEY"] = witnessKey.ToString(),
                ["WRONG_WITNESS_KEY"] = wrongWitness.ToString(),
            }, "audit-witness.mjs");
            var r = page.RootElement;
            Assert.Empty(r.GetProperty("consoleErrors").EnumerateArray());
            Assert.StartsWith("size ", r.GetProperty("witnessed").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("1 of 1 witness cosignatures required", r.GetProperty("policyState").GetString(), StringComparison.Ordinal);
            Assert.Equal("verified", r.GetProperty("withWitness").GetString());
            Assert.StartsWith("FAILED: witness cosignatures: 0 of the 1 required", r.GetProperty("wrongWitness").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("2 of 2 witness cosignatures required", r.GetProperty("bothState").GetString(), StringComparison.Ordinal);
            Assert.Equal($"FAILED: witness cosignatures: 1 of the 2 required cosignatures verify ({WitnessName})", r.GetProperty("twoRequired").GetString());
            Assert.StartsWith("FAILED: witness cosignatures: 0 of the 1 required", r.GetProperty("tamperedCosignature").GetString(), StringComparison.Ordinal);
            Assert.Equal("verified", r.GetProperty("verifiedAgain").GetString());
            Assert.StartsWith("witness keys unusable:", r.GetProperty("unusableState").GetString(), StringComparison.Ordinal);
        }

        // Offline, on the log's database: passes with the witness, fails when a second (absent) witness is also required.
        var ledgerFile = Path.Combine(logSpace.DataDirectory, "ledger.db");
        var passes = await RunCliAsync(logSpace.Path, null, "ledger", "verify", "--db", ledgerFile, "--vkey", logKey.ToString(), "--witness-vkey", witnessKey.ToString());
        Assert.True(passes.ExitCode == 0, passes.StandardError);
        Assert.Contains("witnessed through size", passes.StandardOutput, StringComparison.Ordinal);
        var absent = NoteVerifierKey.ForEd25519Cosignature("witness.attest.test/absent", Ed25519.PublicKeyFromSeed(Ed25519.GenerateSeed()));
        var lacking = await RunCliAsync(logSpace.Path, null, "ledger", "verify", "--db", ledgerFile, "--vkey", logKey.ToString(),
            "--witness-vkey", witnessKey.ToString(), "--witness-vkey", absent.ToString(), "--witnesses-required", "2");
        Assert.Equal(1, lacking.ExitCode);
        Assert.Contains("ledger.witness.quorum-not-met", lacking.StandardError, StringComparison.Ordinal);

        // A fork: the same checkpoint key over another database (what someone with the key and a copy of an older
        // database could serve). The witness has cosigned a larger tree of this origin and refuses.
        var forkKeyFile = WriteOwnerOnly(forkSpace.Combine("log-key", "signing-key.pem"), pem);
        await using (var fork = await StartLogAsync(forkSpace, forkKeyFile, witness, witnessKey))
        {
            await WaitForAsync(() => fork.StandardOutput.Contains("refused checkpoint", StringComparison.Ordinal), "the fork to log the witness's refusal");
            Assert.Contains("rolled back or forked", fork.StandardOutput, StringComparison.Ordinal);
        }
        var forkAudit = await RunCliAsync(forkSpace.Path, null, "ledger", "verify", "--db", Path.Combine(forkSpace.DataDirectory, "ledger.db"),
            "--vkey", logKey.ToString(), "--witness-vkey", witnessKey.ToString());
        Assert.Equal(1, forkAudit.ExitCode);
        Assert.Contains("ledger.witness.quorum-not-met", forkAudit.StandardError, StringComparison.Ordinal);
        Assert.True(witnessedSize >= 4);
    }

    [Fact]
    public async Task Witness_endpoint_speaks_the_protocol_status_codes()
    {
        using var witnessSpace = new ServerWorkspace();
        var logSigner = new Ed25519NoteSigner(LogOrigin, Ed25519.GenerateSeed());
        var witnessSigner = new Ed25519NoteSigner(WitnessName, Ed25519.GenerateSeed());
        var witnessKeyFile = WriteOwnerOnly(witnessSpace.Combine("witness-key", "witness.key"), witnessSigner.ToPrivateKeyString() + "\n");
        await using var witness = await StartWitnessAsync(witnessSpace, logSigner.VerifierKey, witnessKeyFile);

        var root = SHA256.HashData("tree of 5"u8);
        var checkpoint = new Checkpoint(LogOrigin, 5, root).Sign(logSigner).ToString();
        async Task<(HttpStatusCode Status, string Body, string? Type)> PostAsync(string body)
        {
            using var response = await witness.Client.PostAsync("witness/add-checkpoint", new StringContent(body, Encoding.UTF8, "text/plain"));
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
        }
        var first = await PostAsync("old 0\n\n" + checkpoint);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        var witnessKey = NoteVerifierKey.ForEd25519Cosignature(WitnessName, witnessSigner.VerifierKey.PublicKey);
        Assert.True(SignedNote.Parse(checkpoint + first.Body).Verify([witnessKey]).IsValid);

        var stale = await PostAsync("old 0\n\n" + checkpoint);
        Assert.Equal(HttpStatusCode.Conflict, stale.Status);
        Assert.Equal("text/x.tlog.size", stale.Type);
        Assert.Equal("5\n", stale.Body);
        var forked = new Checkpoint(LogOrigin, 5, SHA256.HashData("another tree of 5"u8)).Sign(logSigner).ToString();
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync("old 5\n\n" + forked)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("old 5\n\n" + new Checkpoint(LogOrigin, 3, root).Sign(logSigner))).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PostAsync($"old 5\n{Convert.ToBase64String(new byte[32])}\n\n" +
                                                                          new Checkpoint(LogOrigin, 9, root).Sign(logSigner))).Status);
        var stranger = new Ed25519NoteSigner(LogOrigin, Ed25519.GenerateSeed());
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("old 5\n\n" + new Checkpoint(LogOrigin, 6, root).Sign(stranger))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync("old 0\n\n" + new Checkpoint("other.test/log", 1, root).Sign(stranger))).Status);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync(new string('x', 300 * 1024))).Status);
        Assert.Contains("Refused to cosign", witness.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_that_is_not_a_witness_answers_404()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        using var response = await server.Client.PostAsync("witness/add-checkpoint", new StringContent("old 0\n\nx\n", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Witness_configuration_errors_stop_start_up_naming_the_setting()
    {
        using var workspace = new ServerWorkspace();
        await using var server = workspace.Start("--Attest:Witnessing:Witnesses:0:Url=http://127.0.0.1:1/witness",
            "--Attest:Witnessing:Witnesses:0:VerifierKey=" + new Ed25519NoteSigner("w", Ed25519.GenerateSeed()).VerifierKey);
        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Attest:Witnessing:Witnesses:0:VerifierKey must be an Ed25519 cosignature key", server.StandardError, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> WaitForWitnessedAsync(HttpClient audit, long minimumSize)
    {
        JsonElement witnessed = default;
        await WaitForAsync(async () =>
        {
            using var document = JsonDocument.Parse(await audit.GetStringAsync("v1/ledger/checkpoint"));
            if (!document.RootElement.TryGetProperty("witnessed", out var w) || w.GetProperty("size").GetInt64() < minimumSize) return false;
            witnessed = w.Clone();
            return true;
        }, $"a witnessed checkpoint of at least {minimumSize} entries");
        return witnessed;
    }

    private static Task WaitForAsync(Func<bool> condition, string what) => WaitForAsync(() => Task.FromResult(condition()), what);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }

    private static async Task<CliRunner.Result> RunCliAsync(string directory, IDictionary<string, string>? environment, params string[] arguments)
    {
        if (environment is null) return await CliRunner.RunAsync(directory, arguments);
        var dll = RepositoryPaths.ProjectOutput("Attest.Cli", "attest.dll");
        var (code, output) = await RigProcess.RunAsync("dotnet", [dll, .. arguments], directory, check: false, environment: environment);
        return new CliRunner.Result(code, output, output);
    }
}
