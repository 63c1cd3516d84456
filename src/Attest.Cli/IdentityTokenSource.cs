using System.Net.Http.Headers;
using System.Text.Json;
using Attest.Core.IO;
using Attest.Sigstore.Clients;

namespace Attest.Cli;

/// <summary>
/// Where a keyless signature's OIDC identity token comes from, first found wins: <c>--identity-token</c> (the token, or
/// a file holding it, as cosign takes it), <c>SIGSTORE_ID_TOKEN</c>, or GitHub Actions' token request
/// (<c>ACTIONS_ID_TOKEN_REQUEST_URL</c> and <c>_TOKEN</c>, present with <c>permissions: id-token: write</c>) for
/// audience <c>sigstore</c>. The token is a bearer credential: it is never printed.
/// </summary>
internal static class IdentityTokenSource
{
    public const string SigstoreVariable = "SIGSTORE_ID_TOKEN";
    public const string ActionsUrlVariable = "ACTIONS_ID_TOKEN_REQUEST_URL";
    public const string ActionsTokenVariable = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";
    public const string Audience = "sigstore";
    private const int MaxResponseBytes = 64 * 1024;

    public static async Task<IdentityToken> ResolveAsync(string? option, CancellationToken cancellationToken)
    {
        string raw;
        string source;
        if (!string.IsNullOrEmpty(option))
        {
            (raw, source) = File.Exists(option) ? (ReadFile(option), $"--identity-token {option}") : (option, "--identity-token");
        }
        else if (Environment.GetEnvironmentVariable(SigstoreVariable) is { Length: > 0 } fromEnvironment)
        {
            (raw, source) = (fromEnvironment, SigstoreVariable);
        }
        else if (Environment.GetEnvironmentVariable(ActionsUrlVariable) is { Length: > 0 } url
                 && Environment.GetEnvironmentVariable(ActionsTokenVariable) is { Length: > 0 } requestToken)
        {
            (raw, source) = (await RequestGitHubActionsTokenAsync(url, requestToken, cancellationToken).ConfigureAwait(false), "the GitHub Actions token");
        }
        else
        {
            throw new CommandFailure($"no identity token: give --identity-token, set {SigstoreVariable}, or run in GitHub Actions with 'permissions: id-token: write' " +
                                     "(or sign with the server's managed key: --managed-key)", AttestCommand.ExitCodes.UnusableInput);
        }
        if (!IdentityToken.TryParse(raw, out var token, out var error))
            throw new CommandFailure($"{source}: {error}", AttestCommand.ExitCodes.UnusableInput);
        return token;
    }

    private static string ReadFile(string path)
    {
        if (!VerifyBundleCommand.TryRead(new FileInfo(path), IdentityToken.MaxLength + 2, out var bytes, out var error))
            throw new CommandFailure($"--identity-token: {error}", AttestCommand.ExitCodes.UnusableInput);
        return System.Text.Encoding.UTF8.GetString(bytes).Trim();
    }

    /// <summary>GitHub's OIDC token request: <c>GET $ACTIONS_ID_TOKEN_REQUEST_URL&amp;audience=sigstore</c> with the request
    /// token as bearer, answered <c>{"value": JWT}</c>.</summary>
    private static async Task<string> RequestGitHubActionsTokenAsync(string url, string requestToken, CancellationToken cancellationToken)
    {
        var requestUrl = AttestServerConnection.CheckedUrl(url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "audience=" + Audience, ActionsUrlVariable);
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, requestUrl);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", requestToken);
        request.Headers.Accept.ParseAdd("application/json");
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var body = await BoundedRead.ReadAllAsync(stream, MaxResponseBytes, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new CommandFailure($"GitHub Actions refused the identity token request: {(int)response.StatusCode} {response.ReasonPhrase}", AttestCommand.ExitCodes.UnusableInput);
            using var document = JsonDocument.Parse(body ?? throw new CommandFailure("GitHub Actions' token answer is too large", AttestCommand.ExitCodes.UnusableInput));
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw new CommandFailure("GitHub Actions' token answer has no value", AttestCommand.ExitCodes.UnusableInput);
        }
        catch (JsonException)
        {
            throw new CommandFailure("GitHub Actions' token answer is not JSON", AttestCommand.ExitCodes.UnusableInput);
        }
        catch (HttpRequestException e)
        {
            throw new CommandFailure($"cannot reach GitHub Actions' token service: {e.Message}", AttestCommand.ExitCodes.UnusableInput);
        }
    }
}
