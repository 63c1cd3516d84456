using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Ledger;
using Attest.Ledger.Database;
using Attest.Ledger.Witnessing;

namespace Attest.Cli;

/// <summary>
/// <c>attest ledger keygen|append|verify|prove|export|query</c> over a SQLite ledger file. The verbs translate
/// arguments and exit codes; Attest.Ledger decides. Exit 0 when everything verifies, 1 on findings, 2 on unusable input.
/// </summary>
internal static class LedgerCommand
{
    // Output goes to terminals and files, never into HTML: keep base64 readable.
    private const string ConnectionVariable = "ATTEST_LEDGER_CONNECTION";
    private const string TokenVariable = "ATTEST_TOKEN";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Build()
    {
        var db = StoreSource.Create();
        var keyFile = new Option<FileInfo>("--key") { Description = "checkpoint signing key: a note signer key (PRIVATE+KEY+…, Ed25519) or an ECDSA P-256 PEM", Required = true };
        var origin = new Option<string?>("--origin") { Description = "log origin (default: the key name)" };
        var vkeys = new Option<string[]>("--vkey") { Description = "trusted checkpoint verifier key name+id+key (repeatable: the current key and previous ones after a rotation)", Required = true, AllowMultipleArgumentsPerToken = false };
        var trust = new TrustOptions(vkeys, new Option<string[]>("--revoked-vkey")
        {
            Description = "verifier key taken out of service, e.g. after a compromise (repeatable): checkpoints only it signed are refused",
            AllowMultipleArgumentsPerToken = false,
        }, origin);

        var ledger = new Command("ledger", "Append to, audit, prove from and export the append-only ledger.");
        ledger.Subcommands.Add(Keygen());
        ledger.Subcommands.Add(Append(db, keyFile, origin));
        ledger.Subcommands.Add(Verify(db, trust));
        ledger.Subcommands.Add(Prove(db));
        ledger.Subcommands.Add(Export(db, trust));
        ledger.Subcommands.Add(Query(db));
        return ledger;
    }

    private static Command Keygen()
    {
        var name = new Option<string>("--name") { Description = "key name, e.g. attest.example.com/ledger", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "file to write the private signer key to (mode 0600)", Required = true };
        var command = new Command("keygen", "Create an Ed25519 checkpoint signing key; prints its verifier key.") { name, output };
        command.SetAction(parse =>
        {
            var signer = new Ed25519NoteSigner(parse.GetValue(name)!, Ed25519.GenerateSeed());
            var path = parse.GetValue(output)!.FullName;
            File.WriteAllText(path, signer.ToPrivateKeyString() + "\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            parse.InvocationConfiguration.Output.WriteLine(signer.VerifierKey.ToString());
            return AttestCommand.ExitCodes.Success;
        });
        return command;
    }

    private static Command Append(StoreSource db, Option<FileInfo> keyFile, Option<string?> origin)
    {
        var kind = new Option<string>("--kind") { Description = "entry kind", DefaultValueFactory = _ => LedgerEntryKinds.Note };
        var json = new Option<string?>("--json") { Description = "one JSON object: the entry's details" };
        var jsonl = new Option<string?>("--jsonl") { Description = "file of JSON objects, one per line ('-' for stdin); one entry each" };
        var previous = new Option<string[]>("--previous-vkey")
        {
            Description = "verifier key of a signing key this log used before a rotation (repeatable): the latest checkpoint may be signed by it",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("append", "Append entries; prints 'INDEX<TAB>LINE' for each once it is durable, then publishes a checkpoint.")
        {
            db.Db, db.Connection, keyFile, origin, kind, json, jsonl, previous,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (parse.GetValue(json) is null == parse.GetValue(jsonl) is null)
            {
                await error.WriteLineAsync("attest: give exactly one of --json and --jsonl").ConfigureAwait(false);
                return AttestCommand.ExitCodes.UnusableInput;
            }
            if (!TryParseKeys(parse.GetValue(previous), "--previous-vkey", out var previousKeys, out var keyProblem))
            {
                await error.WriteLineAsync($"attest: {keyProblem}").ConfigureAwait(false);
                return AttestCommand.ExitCodes.UnusableInput;
            }
            NoteSigner signer;
            try
            {
                signer = LoadSigner(parse.GetValue(keyFile)!, parse.GetValue(origin));
            }
            catch (Exception e) when (e is IOException or FormatException or CryptographicException or ArgumentException)
            {
                await error.WriteLineAsync($"attest: cannot use the signing key: {e.Message}").ConfigureAwait(false);
                return AttestCommand.ExitCodes.UnusableInput;
            }
            await using var store = await db.OpenAsync(parse, mustExist: false, cancellationToken).ConfigureAwait(false);
            if (store is null) return AttestCommand.ExitCodes.UnusableInput;
            AuditLedger log;
            try
            {
                log = await AuditLedger.OpenAsync(store, new AuditLedgerOptions { Origin = parse.GetValue(origin) ?? signer.Name, PreviousVerifierKeys = previousKeys },
                    [signer], TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
            catch (LedgerCorruptException e)
            {
                await error.WriteLineAsync($"attest: {e.Message}").ConfigureAwait(false);
                return AttestCommand.ExitCodes.Findings;
            }
            await using var ledgerLifetime = log;

            var lines = parse.GetValue(json) is { } single ? ToAsync([single]) : ReadLinesAsync(parse.GetValue(jsonl)!, cancellationToken);
            var failed = await JsonLinesAppender.AppendAsync(log, parse.GetValue(kind)!, lines,
                (index, line) =>
                {
                    output.WriteLine($"{index.ToString(CultureInfo.InvariantCulture)}\t{line.ToString(CultureInfo.InvariantCulture)}");
                    output.Flush();
                },
                (line, why) => error.WriteLine($"attest: line {line}: {why}"),
                cancellationToken).ConfigureAwait(false);
            var checkpoint = await log.CheckpointAsync(cancellationToken).ConfigureAwait(false);
            if (checkpoint is not null) await error.WriteLineAsync($"checkpoint {checkpoint.Size}").ConfigureAwait(false);
            return failed == 0 ? AttestCommand.ExitCodes.Success : AttestCommand.ExitCodes.Findings;
        });
        return command;
    }

    private static Command Verify(StoreSource db, TrustOptions trustOptions)
    {
        var url = new Option<string?>("--url") { Description = "base URL of a log served in the layout 'attest ledger export' writes (checkpoint, tile/…): an export, or a running server's /v1/ledger/log/" };
        var token = new Option<string?>("--token")
        {
            Description = $"access token with scope audit for a running server's --url (default: the {TokenVariable} environment variable, which other users cannot read in the process list): attest token --scope audit",
        };
        var witnessOptions = new WitnessQuorumOptions();
        var command = new Command("verify", "Replay every entry, recompute every root and check every checkpoint; exit 0 when all verifies.")
        {
            db.Db, db.Connection, url, token, trustOptions.Trusted, trustOptions.Revoked, trustOptions.Origin, witnessOptions.Keys, witnessOptions.Required,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (!trustOptions.TryGet(parse, out var trust, out var problem))
            {
                await error.WriteLineAsync($"attest: {problem}").ConfigureAwait(false);
                return AttestCommand.ExitCodes.UnusableInput;
            }
            if (!witnessOptions.TryGet(parse, out var quorum, out problem))
            {
                await error.WriteLineAsync($"attest: {problem}").ConfigureAwait(false);
                return AttestCommand.ExitCodes.UnusableInput;
            }
            LedgerAuditReport report;
            WitnessAuditReport? witnessed = null;
            if (parse.GetValue(url) is { } urlText)
            {
                if (await db.ReadUrlAsync(parse, urlText).ConfigureAwait(false) is not { } baseUrl) return AttestCommand.ExitCodes.UnusableInput;
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
                // A running server serves its log to holders of an audit token (from `attest token --scope audit`).
                if ((parse.GetValue(token) ?? Environment.GetEnvironmentVariable(TokenVariable)) is { Length: > 0 } bearer)
                    http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
                try
                {
                    report = await TerminalProgress.RunAsync(error, $"verifying {baseUrl}", null,
                        progress => LedgerTileAuditor.AuditAsync(http, baseUrl, trust with { Progress = progress }, cancellationToken)).ConfigureAwait(false);
                    if (quorum.Required > 0)
                        witnessed = await WitnessedServedCheckpointAsync(http, baseUrl, trust, quorum, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException or InvalidDataException or TaskCanceledException)
                {
                    var hint = e is HttpRequestException { StatusCode: System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden }
                        ? $"; a running server serves its log to tokens with scope audit: --token \"$(attest token --url <server> --credentials <file> --scope audit)\" or {TokenVariable}"
                        : "";
                    await error.WriteLineAsync($"attest: cannot read the log at {baseUrl}: {e.Message}{hint}").ConfigureAwait(false);
                    return AttestCommand.ExitCodes.UnusableInput;
                }
            }
            else
            {
                await using var store = await db.OpenAsync(parse, mustExist: true, cancellationToken).ConfigureAwait(false);
                if (store is null) return AttestCommand.ExitCodes.UnusableInput;
                var size = await store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
                report = await TerminalProgress.RunAsync(error, $"replaying {size} entries", size,
                    progress => LedgerAuditor.AuditAsync(store, trust with { Progress = progress }, cancellationToken)).ConfigureAwait(false);
                if (quorum.Required > 0)
                {
                    await using var database = db.OpenDatabase(parse);
                    var cosignatures = await CosignatureStore.OpenAsync(database, cancellationToken).ConfigureAwait(false);
                    witnessed = await WitnessAudit.CheckStoreAsync(store, cosignatures, trust, quorum, cancellationToken).ConfigureAwait(false);
                }
            }
            foreach (var finding in report.Findings.Concat(witnessed?.Findings ?? [])) await error.WriteLineAsync(finding.ToString()).ConfigureAwait(false);
            var summary = $"{report.EntriesChecked} {(report.EntriesChecked == 1 ? "entry" : "entries")}, {report.CheckpointsChecked} {(report.CheckpointsChecked == 1 ? "checkpoint" : "checkpoints")}, verified through size {report.VerifiedCheckpointSize}";
            if (witnessed is not null) summary += $", witnessed through size {witnessed.WitnessedSize} ({quorum.Required} of {quorum.Witnesses.Count} witnesses)";
            if (report.FirstBadIndex is { } bad) summary += $"; first bad index {bad}";
            await parse.InvocationConfiguration.Output.WriteLineAsync(summary).ConfigureAwait(false);
            return report.IsValid && witnessed?.IsValid != false ? AttestCommand.ExitCodes.Success : AttestCommand.ExitCodes.Findings;
        });
        return command;
    }

    private static Command Prove(StoreSource db)
    {
        var index = new Option<long>("--index") { Description = "entry index", Required = true };
        var size = new Option<long?>("--size") { Description = "tree size (default: the latest checkpoint's)" };
        var command = new Command("prove", "Print an inclusion proof for one entry as JSON, with the checkpoint it verifies against.") { db.Db, db.Connection, index, size };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            await using var store = await db.OpenAsync(parse, mustExist: true, cancellationToken).ConfigureAwait(false);
            if (store is null) return AttestCommand.ExitCodes.UnusableInput;
            var latest = await store.GetLatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
            var treeSize = parse.GetValue(size) ?? latest?.Size ?? await store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
            var leafIndex = parse.GetValue(index);
            if (leafIndex < 0 || leafIndex >= treeSize)
            {
                await error.WriteLineAsync($"attest: index {leafIndex} is not in a tree of size {treeSize}").ConfigureAwait(false);
                return AttestCommand.ExitCodes.UnusableInput;
            }
            var proof = await store.GetInclusionProofAsync(leafIndex, treeSize, cancellationToken).ConfigureAwait(false);
            var entry = await store.ReadEntriesAsync(leafIndex, leafIndex + 1, cancellationToken).FirstAsync(cancellationToken).ConfigureAwait(false);
            var document = new Dictionary<string, object?>
            {
                ["index"] = leafIndex,
                ["treeSize"] = treeSize,
                ["leafHash"] = Convert.ToBase64String(entry.LeafHash),
                ["hashes"] = proof.Hashes.Select(Convert.ToBase64String).ToArray(),
                ["rootHash"] = Convert.ToBase64String(await store.GetRootAsync(treeSize, cancellationToken).ConfigureAwait(false)),
                ["entry"] = Encoding.UTF8.GetString(entry.Body),
                ["checkpoint"] = latest?.Size == treeSize ? latest.Note : null,
            };
            await parse.InvocationConfiguration.Output.WriteLineAsync(JsonSerializer.Serialize(document, Indented)).ConfigureAwait(false);
            return AttestCommand.ExitCodes.Success;
        });
        return command;
    }

    private static Command Export(StoreSource db, TrustOptions trustOptions)
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "directory to create (must be absent or empty)", Required = true };
        var command = new Command("export", "Write entries.jsonl and the tlog-tiles layout (checkpoint, tiles, entry bundles) of the latest checkpoint.")
        {
            db.Db, db.Connection, trustOptions.Trusted, trustOptions.Revoked, trustOptions.Origin, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (!trustOptions.TryGet(parse, out var trust, out var problem))
            {
                await error.WriteLineAsync($"attest: {problem}").ConfigureAwait(false);
                return AttestCommand.ExitCodes.UnusableInput;
            }
            await using var store = await db.OpenAsync(parse, mustExist: true, cancellationToken).ConfigureAwait(false);
            if (store is null) return AttestCommand.ExitCodes.UnusableInput;
            try
            {
                var size = await store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
                var result = await TerminalProgress.RunAsync(error, $"exporting {size} entries", size,
                    progress => LedgerExporter.ExportAsync(store, trust with { Progress = progress }, parse.GetValue(output)!.FullName, cancellationToken)).ConfigureAwait(false);
                await parse.InvocationConfiguration.Output.WriteLineAsync(
                    $"{result.Entries} entries; tree of size {result.TreeSize} in {result.TileFiles} tiles and {result.BundleFiles} entry bundles").ConfigureAwait(false);
                return AttestCommand.ExitCodes.Success;
            }
            catch (LedgerCorruptException e)
            {
                await error.WriteLineAsync($"attest: {e.Message}").ConfigureAwait(false);
                return AttestCommand.ExitCodes.Findings;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                await error.WriteLineAsync($"attest: {e.Message}").ConfigureAwait(false);
                return AttestCommand.ExitCodes.UnusableInput;
            }
        });
        return command;
    }

    private static Command Query(StoreSource db)
    {
        var kind = new Option<string?>("--kind");
        var image = new Option<string?>("--image");
        var digest = new Option<string?>("--digest");
        var ns = new Option<string?>("--namespace");
        var verdict = new Option<string?>("--verdict");
        var client = new Option<string?>("--client");
        var from = new Option<DateTimeOffset?>("--from") { Description = "recorded at or after (ISO 8601)" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "recorded before (ISO 8601)" };
        var after = new Option<long>("--after") { Description = "only entries after this index (paging)", DefaultValueFactory = _ => -1 };
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 100 };
        var command = new Command("query", "Print matching entries as JSON lines, oldest first; rows whose bytes do not hash to their leaf or whose search columns differ from their bytes are withheld (named on stderr, exit 1).")
            { db.Db, db.Connection, kind, image, digest, ns, verdict, client, from, to, after, limit };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var store = await db.OpenAsync(parse, mustExist: true, cancellationToken).ConfigureAwait(false);
            if (store is null) return AttestCommand.ExitCodes.UnusableInput;
            var rows = await store.QueryAsync(new LedgerQuery
            {
                Kind = parse.GetValue(kind), Image = parse.GetValue(image), Digest = parse.GetValue(digest), Namespace = parse.GetValue(ns),
                Verdict = parse.GetValue(verdict), Client = parse.GetValue(client), From = parse.GetValue(from), To = parse.GetValue(to),
                AfterIndex = parse.GetValue(after), Limit = parse.GetValue(limit),
            }, cancellationToken).ConfigureAwait(false);
            var withheld = 0;
            foreach (var (row, problem) in await VerifiedEntries.CheckAsync(store, trust: null, rows, cancellationToken).ConfigureAwait(false))
            {
                if (problem is null)
                {
                    await parse.InvocationConfiguration.Output.WriteLineAsync(Encoding.UTF8.GetString(row.Body)).ConfigureAwait(false);
                    continue;
                }
                withheld++;
                await parse.InvocationConfiguration.Error.WriteLineAsync($"attest: entry {row.Index} withheld: {problem}; run attest ledger verify").ConfigureAwait(false);
            }
            return withheld == 0 ? AttestCommand.ExitCodes.Success : AttestCommand.ExitCodes.Findings;
        });
        return command;
    }

    /// <summary>Where the ledger lives: a SQLite file (--db) or PostgreSQL (--connection or ATTEST_LEDGER_CONNECTION).</summary>
    internal sealed record StoreSource(Option<FileInfo?> Db, Option<string?> Connection)
    {
        public static StoreSource Create() => new(
            new Option<FileInfo?>("--db") { Description = "ledger SQLite file" },
            new Option<string?>("--connection") { Description = $"PostgreSQL connection string (prefer the {ConnectionVariable} environment variable: arguments are visible to other users)" });

        /// <summary>The same database, for the tables beside the ledger (witness cosignatures); call after <see cref="OpenAsync"/> succeeded.</summary>
        public SqlDatabase OpenDatabase(ParseResult parse) => parse.GetValue(Db) is { } file
            ? SqlDatabase.Sqlite(file.FullName)
            : SqlDatabase.Postgres(parse.GetValue(Connection) ?? Environment.GetEnvironmentVariable(ConnectionVariable)!);

        /// <summary>The --url of a verb that reads a log over HTTP instead of from a store: an absolute http(s) URL, given
        /// without --db and --connection; otherwise null, with the reason written.</summary>
        public async Task<Uri?> ReadUrlAsync(ParseResult parse, string urlText)
        {
            if (parse.GetValue(Db) is null && parse.GetValue(Connection) is null &&
                Uri.TryCreate(urlText, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
                return url;
            await parse.InvocationConfiguration.Error.WriteLineAsync("attest: --url takes an absolute http(s) URL and excludes --db and --connection").ConfigureAwait(false);
            return null;
        }

        /// <summary>Opens the ledger's store, or writes why not and returns null.</summary>
        public Task<ILedgerStore?> OpenAsync(ParseResult parse, bool mustExist, CancellationToken cancellationToken) =>
            OpenAsync<ILedgerStore>(parse, mustExist, async (file, c) => await SqliteLedgerStore.OpenAsync(file, c).ConfigureAwait(false),
                async (connection, c) => await PostgresLedgerStore.OpenAsync(connection, c).ConfigureAwait(false), cancellationToken);

        /// <summary>Opens a store of the ledger's database (the ledger's, or the checksum database's beside it).</summary>
        public async Task<T?> OpenAsync<T>(ParseResult parse, bool mustExist, Func<string, CancellationToken, Task<T>> sqlite,
            Func<string, CancellationToken, Task<T>> postgres, CancellationToken cancellationToken) where T : class
        {
            var error = parse.InvocationConfiguration.Error;
            var file = parse.GetValue(Db);
            var connection = parse.GetValue(Connection) ?? (file is null ? Environment.GetEnvironmentVariable(ConnectionVariable) : null);
            if (file is null == string.IsNullOrEmpty(connection))
            {
                await error.WriteLineAsync($"attest: give exactly one of --db and --connection (or {ConnectionVariable})").ConfigureAwait(false);
                return null;
            }
            try
            {
                if (file is null) return await postgres(connection!, cancellationToken).ConfigureAwait(false);
                if (mustExist && !file.Exists)
                {
                    await error.WriteLineAsync($"attest: {file.FullName} does not exist").ConfigureAwait(false);
                    return null;
                }
                return await sqlite(file.FullName, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or ArgumentException or IOException or Microsoft.Data.Sqlite.SqliteException)
            {
                // The message of a connection failure names host and database, not the password.
                await error.WriteLineAsync($"attest: cannot open the ledger: {e.Message}").ConfigureAwait(false);
                return null;
            }
        }
    }

    /// <summary>The served checkpoint (the tlog-tiles <c>checkpoint</c> file), checked for the witnesses' cosignatures.</summary>
    private static async Task<WitnessAuditReport> WitnessedServedCheckpointAsync(HttpClient http, Uri baseUrl, LedgerAuditOptions trust,
        CosignatureQuorum quorum, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/checkpoint"), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > TransparencyLimits.MaxNoteBytes) throw new InvalidDataException("the checkpoint is too large");
        var note = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (note.Length > TransparencyLimits.MaxNoteBytes) throw new InvalidDataException("the checkpoint is too large");
        return WitnessAudit.CheckNote(note, trust, quorum);
    }

    /// <summary><c>--witness-vkey</c> (repeatable) and <c>--witnesses-required N</c>: the checkpoint must carry N of their cosignatures.</summary>
    private sealed class WitnessQuorumOptions
    {
        public Option<string[]> Keys { get; } = new("--witness-vkey")
        {
            Description = "a witness's cosignature verifier key name+id+key (type 0x04; repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };

        public Option<int?> Required { get; } = new("--witnesses-required")
        {
            Description = "cosignatures of distinct named witnesses a checkpoint must carry (default: all named witnesses)",
        };

        public bool TryGet(ParseResult parse, out CosignatureQuorum quorum, out string problem)
        {
            quorum = CosignatureQuorum.None;
            if (!TryParseKeys(parse.GetValue(Keys), "--witness-vkey", out var keys, out problem)) return false;
            var required = parse.GetValue(Required) ?? keys.Count;
            if (required > 0 && keys.Count == 0)
            {
                problem = "--witnesses-required needs --witness-vkey";
                return false;
            }
            quorum = new CosignatureQuorum(keys, required);
            var errors = quorum.Validate();
            problem = string.Join("; ", errors);
            return errors.Count == 0;
        }
    }

    /// <summary>What verify and export trust: the current and previous keys, minus revoked ones, for one origin.</summary>
    private sealed record TrustOptions(Option<string[]> Trusted, Option<string[]> Revoked, Option<string?> Origin)
    {
        public bool TryGet(ParseResult parse, out LedgerAuditOptions trust, out string problem)
        {
            trust = null!;
            if (!TryParseKeys(parse.GetValue(Trusted), "--vkey", out var keys, out problem) ||
                !TryParseKeys(parse.GetValue(Revoked), "--revoked-vkey", out var revoked, out problem))
                return false;
            if (keys.Count == 0)
            {
                problem = "--vkey is required";
                return false;
            }
            trust = new LedgerAuditOptions(parse.GetValue(Origin) ?? keys[0].Name, keys) { RevokedKeys = revoked };
            return true;
        }
    }

    private static bool TryParseKeys(string[]? texts, string option, out List<NoteVerifierKey> keys, out string problem)
    {
        keys = [];
        foreach (var text in texts ?? [])
        {
            if (!NoteVerifierKey.TryParse(text, out var key, out var error))
            {
                problem = $"{option}: {error.Message}";
                return false;
            }
            keys.Add(key);
        }
        problem = "";
        return true;
    }

    private static NoteSigner LoadSigner(FileInfo file, string? origin)
    {
        var text = File.ReadAllText(file.FullName).Trim();
        if (text.StartsWith("PRIVATE+KEY+", StringComparison.Ordinal)) return Ed25519NoteSigner.FromPrivateKeyString(text);
        // The signer does not own the key; it lives as long as the process does.
        var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(text);
        return new EcdsaNoteSigner(origin ?? throw new ArgumentException("--origin is required with an ECDSA key (it names the key)"), ecdsa);
    }

    private static async IAsyncEnumerable<string> ToAsync(string[] lines)
    {
        foreach (var line in lines) yield return line;
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static async IAsyncEnumerable<string> ReadLinesAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = path == "-" ? new StreamReader(Console.OpenStandardInput()) : new StreamReader(path);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line) yield return line;
    }
}
