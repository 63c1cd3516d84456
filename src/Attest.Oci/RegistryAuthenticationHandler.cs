using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Attest.Oci;

/// <summary>Who a registry request signs in as and for what: the registry (as in an image reference), the token
/// scope (<c>repository:NAME:pull</c> or <c>…:pull,push</c>), the credential (null: anonymous) and the registry's
/// origin, the only place its <c>Authorization</c> header may go.</summary>
public sealed record RegistrySignIn(string Registry, string Scope, RegistryCredential? Credential, Uri Origin);

/// <summary>
/// Registry authentication below every call of <see cref="RegistryClient"/>: anonymous, Basic, and Docker's bearer-token
/// challenge flow. A request tagged with <see cref="SignIn"/> goes out with the cached token (or Basic credentials once
/// the registry asked for them); a 401 is answered once — Basic, or a token fetched from the challenge's realm for the
/// challenge's scope — and the request sent again. Tokens are cached per registry, scope and credential until shortly
/// before they expire, so one workload's pull secret never signs in another. The credential travels with each request
/// (<see cref="RegistrySignIn"/>), not in this shared handler's state.
/// </summary>
public sealed class RegistryAuthenticationHandler : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<RegistrySignIn> SignIn = new("attest.registry.sign-in");

    private readonly RegistryClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _basicHosts = new(StringComparer.OrdinalIgnoreCase);

    public RegistryAuthenticationHandler(RegistryClientOptions options, TimeProvider time, HttpMessageHandler inner)
        : base(inner)
    {
        _options = options;
        _time = time;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(SignIn, out var signIn)) return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        // The registry's credentials are for the registry's origin only: an upload location or redirect elsewhere goes without them.
        request.Options.Set(EgressHandler.AuthorizedOrigin, signIn.Origin);
        Authorize(request, signIn);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

        var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
        response.Dispose();
        await AnswerChallengeAsync(signIn, challenge, cancellationToken).ConfigureAwait(false);
        // The same message again: its content (bytes in memory) can be sent twice; a second 401 is the caller's answer.
        Authorize(request, signIn);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private void Authorize(HttpRequestMessage request, RegistrySignIn signIn)
    {
        request.Headers.Authorization = null;
        if (_tokens.TryGetValue(TokenKey(signIn), out var token) && token.ExpiresAt > _time.GetUtcNow())
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        else if (_basicHosts.ContainsKey(signIn.Registry) && signIn.Credential is { Username: { } user, Password: { } password })
            request.Headers.Authorization = Basic(user, password);
    }

    private async Task AnswerChallengeAsync(RegistrySignIn signIn, AuthenticationHeaderValue? challenge, CancellationToken cancellationToken)
    {
        var (registry, credential) = (signIn.Registry, signIn.Credential);
        if (challenge is null)
            throw new RegistryException(RegistryCodes.AuthRequired, $"registry {registry} requires authentication but sent no challenge");

        if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (credential is not { Username: not null, Password: not null })
                throw new RegistryException(RegistryCodes.AuthRequired, $"registry {registry} requires a user name and password, and none is configured for it");
            _basicHosts[registry] = true;
            return;
        }
        if (!challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            throw new RegistryException(RegistryCodes.AuthRequired, $"registry {registry} asks for unsupported authentication '{challenge.Scheme}'");

        var parameters = ParseChallenge(challenge.Parameter ?? "");
        if (!parameters.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) ||
            realmUri.Scheme is not ("https" or "http"))
            throw new RegistryException(RegistryCodes.AuthFailed, $"registry {registry} sent a bearer challenge without a usable realm");
        var query = new StringBuilder();
        if (parameters.TryGetValue("service", out var service)) query.Append("service=").Append(Uri.EscapeDataString(service)).Append('&');
        // The challenge's scope is what the registry wants; ours covers the operation when it names none.
        query.Append("scope=").Append(Uri.EscapeDataString(parameters.TryGetValue("scope", out var wanted) ? wanted : signIn.Scope));
        var tokenUri = new UriBuilder(realmUri) { Query = query.ToString() }.Uri;

        using var request = new HttpRequestMessage(HttpMethod.Get, tokenUri);
        request.Headers.UserAgent.ParseAdd(_options.UserAgent);
        if (credential is { Username: { } user, Password: { } password })
        {
            // The realm the registry named receives the credentials (Docker's token protocol), if the egress check allows
            // its host; never over plain HTTP when the registry itself is reached over HTTPS.
            if (realmUri.Scheme != Uri.UriSchemeHttps && !_options.IsInsecure(registry))
                throw new RegistryException(RegistryCodes.AuthFailed, $"registry {registry} names a token service over plain HTTP ({realmUri.GetLeftPart(UriPartial.Path)}); credentials are not sent there");
            request.Headers.Authorization = Basic(user, password);
            request.Options.Set(EgressHandler.AuthorizedOrigin, realmUri);
        }
        HttpResponseMessage response;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.AttemptTimeout);
            response = await base.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the caller's deadline (or its attempt's): the caller says which
        }
        catch (HttpRequestException e) when (e.InnerException is RegistryException refused)
        {
            throw refused;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            throw new RegistryException(RegistryCodes.AuthFailed, $"token service {realmUri.GetLeftPart(UriPartial.Path)} for {registry} is unreachable: {e.Message}", isTransient: true, e);
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw new RegistryException(RegistryCodes.AuthDenied, $"token service for {registry} refused the credentials ({(int)response.StatusCode})");
            if (!response.IsSuccessStatusCode)
                throw new RegistryException(RegistryCodes.AuthFailed, $"token service for {registry} answered {(int)response.StatusCode}", isTransient: RegistryResponses.IsTransient(response.StatusCode));
            var body = await RegistryResponses.ReadBoundedAsync(response, OciLimits.MaxTokenResponseBytes, $"token for {registry}", cancellationToken).ConfigureAwait(false);
            TokenResponseJson? json;
            try
            {
                json = JsonSerializer.Deserialize(body, OciJsonContext.Default.TokenResponseJson);
            }
            catch (JsonException e)
            {
                throw new RegistryException(RegistryCodes.AuthFailed, $"token service for {registry} sent invalid JSON", inner: e);
            }
            var token = json?.Token ?? json?.AccessToken;
            if (string.IsNullOrEmpty(token)) throw new RegistryException(RegistryCodes.AuthFailed, $"token service for {registry} sent no token");
            // Tokens without expires_in are good for 60 s (Docker token spec); refresh a little early.
            var lifetime = TimeSpan.FromSeconds(Math.Clamp(json!.ExpiresIn ?? 60, 10, 3600) - 5);
            _tokens[TokenKey(signIn)] = new CachedToken(token, _time.GetUtcNow() + lifetime);
        }
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    /// <summary>The parameters of a challenge: <c>realm="https://auth",service="registry",scope="repository:a/b:pull"</c>
    /// (quoted values may contain commas).</summary>
    private static Dictionary<string, string> ParseChallenge(string parameter)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < parameter.Length)
        {
            while (i < parameter.Length && (parameter[i] == ',' || parameter[i] == ' ')) i++;
            var eq = parameter.IndexOf('=', i);
            if (eq < 0) break;
            var key = parameter[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < parameter.Length && parameter[i] == '"')
            {
                var end = parameter.IndexOf('"', i + 1);
                if (end < 0) end = parameter.Length;
                value = parameter[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = parameter.IndexOf(',', i);
                if (end < 0) end = parameter.Length;
                value = parameter[i..end].Trim();
                i = end;
            }
            result[key] = value;
        }
        return result;
    }

    /// <summary>Tokens are per credential (a hash of it: ECR and GCR share one user name among all accounts).</summary>
    private static string TokenKey(RegistrySignIn signIn) =>
        signIn.Credential is null ? signIn.Registry + " " + signIn.Scope : signIn.Registry + " " + signIn.Scope + " " + signIn.Credential.Fingerprint;

    private sealed record CachedToken(string Value, DateTimeOffset ExpiresAt);
}
