using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Attest.Core.Transparency;
using Attest.GoModules;
using Attest.GoModules.SumDb;
using Attest.Ledger;
using Attest.Ledger.SumDb;

namespace Attest.Cli;

/// <summary>
/// The private checksum database from the command line: <c>attest gosum publish</c> uploads a module zip (CI, with a
/// sign-scoped client) and prints the go.sum lines Attest recorded; <c>attest gosum audit</c> replays the whole
/// database, from the server's tiles and signed tree head (<c>--url</c>) or from the database itself (<c>--db</c>,
/// <c>--connection</c>), and names the first record that does not verify.
/// </summary>
internal static class GoSumDbCommand
{
    /// <summary>Uploading a module zip of up to 500 MiB may take a while.</summary>
    private static readonly TimeSpan UploadTimeout = TimeSpan.FromMinutes(10);

    public static Command BuildPublish()
    {
        var connection = ClientCommand.Connect();
        var zip = new Argument<FileInfo>("ZIP") { Description = "the module zip, as a module proxy serves it (entries path@version/…)" };
        var module = new Option<string>("--module") { Description = "module path and version, PATH@VERSION", Required = true };
        var command = new Command("publish",
            "Record a module version in an Attest server's checksum database (needs a client with scope sign); prints the go.sum lines recorded. " +
            "Exit 0 recorded (or already recorded identically), 1 refused (a different record exists, or the zip breaks the module zip rules), 2 unusable input.")
        {
            zip, module, connection.Url, connection.Credentials, connection.CaFile,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var file = parse.GetValue(zip)!;
            if (!ModuleVersion.TryParse(parse.GetValue(module)!, out var mv) || mv is null)
            {
                error.WriteLine("attest: --module must be PATH@VERSION");
                return Task.FromResult(AttestCommand.ExitCodes.UnusableInput);
            }
            if (!file.Exists)
            {
                error.WriteLine($"attest: {file.FullName} does not exist");
                return Task.FromResult(AttestCommand.ExitCodes.UnusableInput);
            }
            return ClientCommand.RunAsync(parse, connection, async (http, _) =>
            {
                using var form = new MultipartFormDataContent
                {
                    { new StringContent(mv.Path), "module" },
                    { new StringContent(mv.Version), "version" },
                };
                await using var stream = file.OpenRead();
                var part = new StreamContent(stream);
                part.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
                form.Add(part, "zip", file.Name);
                using var response = await http.PostAsync(new Uri("v1/gosum/modules", UriKind.Relative), form, cancellationToken).ConfigureAwait(false);
                var body = await ClientCommand.ReadAsync(response, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.Conflict)
                {
                    await error.WriteLineAsync($"attest: refused: {body?["detail"]}").ConfigureAwait(false);
                    return AttestCommand.ExitCodes.Findings;
                }
                if (!response.IsSuccessStatusCode) return await ClientCommand.Refused(parse, response, body).ConfigureAwait(false);
                var output = parse.InvocationConfiguration.Output;
                foreach (var line in body!["lines"]!.AsArray()) await output.WriteLineAsync(line!.GetValue<string>()).ConfigureAwait(false);
                var already = body["alreadyRecorded"]!.GetValue<bool>();
                await error.WriteLineAsync($"{(already ? "already recorded" : "recorded")} as record {body["recordId"]} of the checksum database (tree size {body["treeSize"]})")
                    .ConfigureAwait(false);
                return AttestCommand.ExitCodes.Success;
            }, "sign", UploadTimeout);
        });
        return command;
    }

    public static Command BuildAudit()
    {
        var db = LedgerCommand.StoreSource.Create();
        var url = new Option<string?>("--url") { Description = "the checksum database as the go command reads it, e.g. https://attest.example.com/sumdb" };
        var vkey = new Option<string>("--vkey") { Description = "the database's verifier key name+hash+key (GET /v1/sumdb/verifier-key)", Required = true };
        var command = new Command("audit",
            "Replay the whole private checksum database, from its tiles and signed tree head (--url) or from its database (--db, --connection): " +
            "every signature, record and hash; names the first bad record. Exit 0 verified, 1 findings, 2 unusable input.")
        {
            url, db.Db, db.Connection, vkey,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var output = parse.InvocationConfiguration.Output;
            if (!NoteVerifierKey.TryParse(parse.GetValue(vkey), out var key, out var keyError) || key.SignatureType != NoteVerifierKey.Ed25519Type)
            {
                await error.WriteLineAsync($"attest: --vkey is not an Ed25519 verifier key: {keyError?.Message ?? "another key type"}").ConfigureAwait(false);
                return AttestCommand.ExitCodes.UnusableInput;
            }
            if (parse.GetValue(url) is { } urlText)
            {
                if (await db.ReadUrlAsync(parse, urlText).ConfigureAwait(false) is not { } baseUrl) return AttestCommand.ExitCodes.UnusableInput;
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
                var audit = await TerminalProgress.RunAsync(error, $"replaying {baseUrl}", null,
                    _ => SumDbLogAuditor.AuditAsync(http, baseUrl, key, GoModulesLimits.Default, cancellationToken)).ConfigureAwait(false);
                foreach (var finding in audit.Findings) await error.WriteLineAsync(finding.ToString()).ConfigureAwait(false);
                await output.WriteLineAsync(Summary(audit.RecordsChecked, audit.TreeSize, audit.IsValid ? audit.TreeSize : 0, audit.FirstBadIndex)).ConfigureAwait(false);
                return audit.IsValid ? AttestCommand.ExitCodes.Success : AttestCommand.ExitCodes.Findings;
            }
            await using var store = await db.OpenAsync<ISumDbStore>(parse, mustExist: true,
                async (file, c) => await SqliteSumDbStore.OpenAsync(file, c).ConfigureAwait(false),
                async (connection, c) => await PostgresSumDbStore.OpenAsync(connection, c).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            if (store is null) return AttestCommand.ExitCodes.UnusableInput;
            var report = await TerminalProgress.RunAsync(error, "replaying the checksum database", null,
                _ => SumDbAuditor.AuditAsync(store, key, cancellationToken)).ConfigureAwait(false);
            foreach (var finding in report.Findings) await error.WriteLineAsync(finding.ToString()).ConfigureAwait(false);
            await output.WriteLineAsync(Summary(report.EntriesChecked, -1, report.VerifiedCheckpointSize, report.FirstBadIndex)).ConfigureAwait(false);
            return report.IsValid ? AttestCommand.ExitCodes.Success : AttestCommand.ExitCodes.Findings;
        });
        return command;
    }

    private static string Summary(long records, long signedSize, long verifiedSize, long? firstBad)
    {
        var summary = $"{records.ToString(CultureInfo.InvariantCulture)} records";
        if (signedSize >= 0) summary += $", signed tree of size {signedSize.ToString(CultureInfo.InvariantCulture)}";
        summary += $", verified through size {verifiedSize.ToString(CultureInfo.InvariantCulture)}";
        if (firstBad is { } bad) summary += $"; first bad index {bad.ToString(CultureInfo.InvariantCulture)}";
        return summary;
    }
}
