using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.Cli;

/// <summary>
/// <c>attest client create|list|revoke</c> and <c>attest token</c>: the administrator's and CI's side of Attest's OAuth2
/// client credentials, over the server's API. Credentials come from a file in the format the server writes for its
/// bootstrap administrator (<c>{"client_id","client_secret"}</c>) or from ATTEST_CLIENT_ID / ATTEST_CLIENT_SECRET,
/// never from arguments (other users can read those). Exit 0 done, 1 refused by the server, 2 unusable input or unreachable.
/// </summary>
internal static class ClientCommand
{
    private const string IdVariable = "ATTEST_CLIENT_ID";
    private const string SecretVariable = "ATTEST_CLIENT_SECRET";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    internal sealed record Connection(Option<string> Url, Option<FileInfo?> Credentials, Option<FileInfo?> CaFile);

    public static Command Build()
    {
        var connection = Connect();
        var client = new Command("client", "Manage the OAuth2 clients of an Attest server (needs an administrator's credentials).");
        client.Subcommands.Add(Create(connection));
        client.Subcommands.Add(List(connection));
        client.Subcommands.Add(Revoke(connection));
        return client;
    }

    public static Command BuildToken()
    {
        var connection = Connect();
        var scope = new Option<string[]>("--scope") { Description = "scopes to ask for (repeatable); default: all of the client's", AllowMultipleArgumentsPerToken = false };
        var command = new Command("token", "Print an access token for the client's credentials (for scripts: curl -H \"Authorization: Bearer $(attest token ...)\").")
        {
            connection.Url, connection.Credentials, connection.CaFile, scope,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, connection, async (http, _) =>
        {
            var scopes = parse.GetValue(scope) ?? [];
            var token = await TokenAsync(http, parse.GetValue(connection.Credentials), scopes.Length == 0 ? null : string.Join(' ', scopes), cancellationToken).ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync(token).ConfigureAwait(false);
            return AttestCommand.ExitCodes.Success;
        }));
        return command;
    }

    internal static Connection Connect() => new(
        new Option<string>("--url") { Description = "the Attest server, e.g. https://attest.example.com", Required = true },
        new Option<FileInfo?>("--credentials") { Description = $"JSON file with client_id and client_secret (default: the {IdVariable} and {SecretVariable} environment variables)" },
        new Option<FileInfo?>("--ca-file") { Description = "PEM CA certificates to trust for the server's TLS certificate (default: the system's)" });

    private static Command Create(Connection connection)
    {
        var name = new Option<string>("--name") { Description = "a name for the client (a pipeline, a team)", Required = true };
        var scope = new Option<string[]>("--scope") { Description = "sign, verify, audit or admin (repeatable)", Required = true, AllowMultipleArgumentsPerToken = false };
        var outFile = new Option<FileInfo?>("--out") { Description = "write the credentials to this new file, readable by its owner only (mode 0600), instead of standard output" };
        var command = new Command("create", "Register a client; writes its credentials as JSON to --out (owner-only) or prints them (the secret is shown only this once).")
        {
            connection.Url, connection.Credentials, connection.CaFile, name, scope, outFile,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, connection, async (http, token) =>
        {
            var file = parse.GetValue(outFile);
            FileStream? secretFile;
            try
            {
                secretFile = file is null ? null : SecretFile.CreateNew(file.FullName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CommandFailure($"--out {file!.FullName} cannot be created (it must not exist yet): {e.Message}", AttestCommand.ExitCodes.UnusableInput);
            }
            await using var secretLifetime = secretFile;
            using var response = await http.PostAsJsonAsync("v1/clients", new { name = parse.GetValue(name), scopes = parse.GetValue(scope) }, cancellationToken).ConfigureAwait(false);
            var body = await ReadAsync(response, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                if (secretFile is not null)
                {
                    await secretFile.DisposeAsync().ConfigureAwait(false);
                    File.Delete(file!.FullName);
                }
                return await Refused(parse, response, body).ConfigureAwait(false);
            }
            // The same shape as the server's bootstrap credentials file, so the output can be saved and used with --credentials.
            var credentials = new JsonObject
            {
                ["client_id"] = body!["clientId"]!.GetValue<string>(),
                ["client_secret"] = body["clientSecret"]!.GetValue<string>(),
                ["scope"] = string.Join(' ', body["scopes"]!.AsArray().Select(s => s!.GetValue<string>())),
            };
            if (secretFile is not null)
            {
                await secretFile.WriteAsync(Encoding.UTF8.GetBytes(credentials.ToJsonString(Indented) + "\n"), cancellationToken).ConfigureAwait(false);
                await parse.InvocationConfiguration.Output.WriteLineAsync($"created {credentials["client_id"]}; its credentials are in {file!.FullName} (owner-only)").ConfigureAwait(false);
                return AttestCommand.ExitCodes.Success;
            }
            // A shell redirect (> file) creates the file with the umask's mode, usually readable by everyone.
            if (Console.IsOutputRedirected && parse.InvocationConfiguration.Output == Console.Out)
                await parse.InvocationConfiguration.Error.WriteLineAsync("attest: warning: the client secret goes to standard output; use --out FILE for an owner-only file").ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync(credentials.ToJsonString(Indented)).ConfigureAwait(false);
            return AttestCommand.ExitCodes.Success;
        }, "admin"));
        return command;
    }

    private static Command List(Connection connection)
    {
        var command = new Command("list", "List every client: id, name, scopes, created, revoked.") { connection.Url, connection.Credentials, connection.CaFile };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, connection, async (http, _) =>
        {
            using var response = await http.GetAsync(new Uri("v1/clients", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            var body = await ReadAsync(response, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return await Refused(parse, response, body).ConfigureAwait(false);
            var output = parse.InvocationConfiguration.Output;
            await output.WriteLineAsync("CLIENT ID\tNAME\tSCOPES\tCREATED\tREVOKED").ConfigureAwait(false);
            foreach (var c in body!["clients"]!.AsArray())
                await output.WriteLineAsync(string.Join('\t',
                    c!["clientId"]!.GetValue<string>(), c["name"]!.GetValue<string>(),
                    string.Join(',', c["scopes"]!.AsArray().Select(s => s!.GetValue<string>())),
                    c["createdAt"]!.ToString(), c["revokedAt"]?.ToString() ?? "-")).ConfigureAwait(false);
            return AttestCommand.ExitCodes.Success;
        }, "admin"));
        return command;
    }

    private static Command Revoke(Connection connection)
    {
        var id = new Argument<string>("CLIENT_ID") { Description = "the client to revoke" };
        var command = new Command("revoke", "Revoke a client: its tokens stop working at once.") { connection.Url, connection.Credentials, connection.CaFile, id };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, connection, async (http, _) =>
        {
            using var response = await http.DeleteAsync(new Uri("v1/clients/" + Uri.EscapeDataString(parse.GetValue(id)!), UriKind.Relative), cancellationToken).ConfigureAwait(false);
            var body = await ReadAsync(response, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return await Refused(parse, response, body).ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"revoked {body!["clientId"]} at {body["revokedAt"]}").ConfigureAwait(false);
            return AttestCommand.ExitCodes.Success;
        }, "admin"));
        return command;
    }

    /// <summary>Builds the HTTP client, gets a token with <paramref name="scope"/> when given, runs the verb, and maps
    /// every failure to one line on stderr and an exit code.</summary>
    internal static async Task<int> RunAsync(ParseResult parse, Connection connection, Func<HttpClient, string?, Task<int>> verb, string? scope = null,
        TimeSpan? timeout = null)
    {
        var error = parse.InvocationConfiguration.Error;
        try
        {
            var url = parse.GetValue(connection.Url)!;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var server) || server.Scheme is not ("https" or "http"))
                throw new CommandFailure($"--url '{url}' is not an http(s) URL", AttestCommand.ExitCodes.UnusableInput);
            // Client secrets travel in the token request: plain HTTP only to this machine.
            if (server.Scheme == "http" && !server.IsLoopback)
                throw new CommandFailure($"--url '{url}' is plain HTTP to another host; client secrets go only over HTTPS (or to loopback)", AttestCommand.ExitCodes.UnusableInput);
            using var http = CreateHttpClient(server, parse.GetValue(connection.CaFile), timeout ?? TimeSpan.FromSeconds(30));
            string? token = null;
            if (scope is not null)
            {
                token = await TokenAsync(http, parse.GetValue(connection.Credentials), scope, CancellationToken.None).ConfigureAwait(false);
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            return await verb(http, token).ConfigureAwait(false);
        }
        catch (CommandFailure e)
        {
            await error.WriteLineAsync($"attest: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"attest: cannot reach {parse.GetValue(connection.Url)}: {e.Message}").ConfigureAwait(false);
            return AttestCommand.ExitCodes.UnusableInput;
        }
        catch (TaskCanceledException)
        {
            await error.WriteLineAsync($"attest: {parse.GetValue(connection.Url)} did not answer in time").ConfigureAwait(false);
            return AttestCommand.ExitCodes.UnusableInput;
        }
    }

    /// <summary>An access token for the client credentials in <paramref name="credentials"/> (or the environment).</summary>
    internal static async Task<string> TokenAsync(HttpClient http, FileInfo? credentials, string? scope, CancellationToken cancellationToken)
    {
        var (id, secret) = ReadCredentials(credentials);
        using var request = new HttpRequestMessage(HttpMethod.Post, "oauth/token")
        {
            Content = new FormUrlEncodedContent(scope is null
                ? [new("grant_type", "client_credentials")]
                : [new("grant_type", "client_credentials"), new("scope", scope)]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(secret)}")));
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await ReadAsync(response, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new CommandFailure($"the server refused the credentials: {body?["error"]}: {body?["error_description"]}", AttestCommand.ExitCodes.Findings);
        return body?["access_token"]?.GetValue<string>() ?? throw new CommandFailure("the token response has no access_token", AttestCommand.ExitCodes.UnusableInput);
    }

    private static (string Id, string Secret) ReadCredentials(FileInfo? file)
    {
        if (file is null)
        {
            var id = Environment.GetEnvironmentVariable(IdVariable);
            var secret = Environment.GetEnvironmentVariable(SecretVariable);
            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(secret))
                throw new CommandFailure($"give --credentials FILE or set {IdVariable} and {SecretVariable}", AttestCommand.ExitCodes.UnusableInput);
            return (id, secret);
        }
        try
        {
            if (file.Length > 64 * 1024) throw new CommandFailure($"{file.FullName} is too large to be a credentials file", AttestCommand.ExitCodes.UnusableInput);
            var json = JsonNode.Parse(File.ReadAllText(file.FullName));
            var id = json?["client_id"]?.GetValue<string>();
            var secret = json?["client_secret"]?.GetValue<string>();
            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(secret))
                throw new CommandFailure($"{file.FullName} has no client_id and client_secret", AttestCommand.ExitCodes.UnusableInput);
            return (id, secret);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            throw new CommandFailure($"{file.FullName} cannot be read as credentials: {e.Message}", AttestCommand.ExitCodes.UnusableInput);
        }
    }

    internal static HttpClient CreateHttpClient(Uri url, FileInfo? caFile, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (caFile is not null)
        {
            var anchors = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            try
            {
                anchors.ImportFromPemFile(caFile.FullName);
            }
            catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException)
            {
                throw new CommandFailure($"--ca-file {caFile.FullName} cannot be read: {e.Message}", AttestCommand.ExitCodes.UnusableInput);
            }
            handler.SslOptions.RemoteCertificateValidationCallback = Attest.Core.Crypto.TlsTrust.ChainsTo(anchors, orSystemStore: true);
        }
        var baseUrl = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
        return new HttpClient(handler) { BaseAddress = baseUrl, Timeout = timeout };
    }

    internal static async Task<JsonNode?> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (text.Length == 0) return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static async Task<int> Refused(ParseResult parse, HttpResponseMessage response, JsonNode? body)
    {
        var detail = body?["detail"]?.ToString() ?? body?["error_description"]?.ToString() ?? response.ReasonPhrase;
        await parse.InvocationConfiguration.Error.WriteLineAsync($"attest: the server refused: {(int)response.StatusCode} {detail}").ConfigureAwait(false);
        return response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.Conflict
            ? AttestCommand.ExitCodes.Findings
            : AttestCommand.ExitCodes.UnusableInput;
    }
}
