using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Attest.Oci;
using Attest.Policy.Admission;
using Attest.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Attest.Server.Admission;

/// <summary>Section <c>Attest:Admission:PullSecrets</c>: reading workloads' image pull secrets from the Kubernetes API.</summary>
public sealed class PullSecretOptions
{
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>Read the pod's (or pod template's) and its service account's imagePullSecrets and use them for the
    /// images' registries. Needs RBAC: get on secrets and serviceaccounts.</summary>
    public bool Enabled { get; set; }

    /// <summary>API server URL; default <c>https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT</c> (in-cluster).</summary>
    public string? ApiServer { get; set; }

    /// <summary>Service-account token file (re-read as the kubelet rotates it).</summary>
    public string TokenFile { get; set; } = ServiceAccountDirectory + "/token";

    /// <summary>CA bundle that signs the API server's certificate.</summary>
    public string CaFile { get; set; } = ServiceAccountDirectory + "/ca.crt";

    /// <summary>How long a secret or service account read from the API server is reused.</summary>
    public double CacheSeconds { get; set; } = 30;

    /// <summary>Also use the imagePullSecrets of the workload's service account (as the kubelet does for pods).</summary>
    public bool ServiceAccounts { get; set; } = true;
}

/// <summary>
/// Reads image pull secrets from the Kubernetes API server for one workload: the names in the pod spec's
/// <c>imagePullSecrets</c>, then those of its service account (<c>GET /api/v1/namespaces/{ns}/serviceaccounts/{name}</c>),
/// each secret by <c>GET /api/v1/namespaces/{ns}/secrets/{name}</c> (<c>kubernetes.io/dockerconfigjson</c> or
/// <c>kubernetes.io/dockercfg</c>). Answers are cached briefly, misses too, so a burst of pods costs one API call per
/// secret. A secret that cannot be read is skipped (the registry's refusal then names the cause); its contents are
/// never logged, only its namespace and name.
/// </summary>
public sealed partial class KubernetesPullSecrets : IDisposable
{
    private const int MaxSecretsPerWorkload = 16;
    private const int MaxResponseBytes = 1 << 20;
    private const int MaxCachedObjects = 10_000;
    private static readonly TimeSpan TokenRefresh = TimeSpan.FromMinutes(1);

    private readonly PullSecretOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<KubernetesPullSecrets> _logger;
    private readonly HttpClient? _http;
    private readonly Uri? _apiServer;
    private readonly ConcurrentDictionary<string, CachedObject> _cache = new(StringComparer.Ordinal);
    private (string Token, DateTimeOffset ReadAt)? _token;

    /// <summary>Where the API server is and which CA vouches for it, checked at start-up; null when not enabled.</summary>
    public sealed record Connection(Uri ApiServer, X509Certificate2Collection CaCertificates);

    /// <summary>Checks the options now, so a missing token or CA stops start-up instead of failing admissions later.</summary>
    public static Connection? Connect(PullSecretOptions options)
    {
        if (!options.Enabled) return null;
        var apiServer = options.ApiServer;
        if (string.IsNullOrEmpty(apiServer))
        {
            var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
            var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT") ?? "443";
            if (string.IsNullOrEmpty(host))
                throw new StartupException("Attest:Admission:PullSecrets:Enabled needs Attest:Admission:PullSecrets:ApiServer or KUBERNETES_SERVICE_HOST (in-cluster)");
            apiServer = $"https://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}";
        }
        if (!Uri.TryCreate(apiServer, UriKind.Absolute, out var uri) || uri.Scheme != "https")
            throw new StartupException($"Attest:Admission:PullSecrets:ApiServer must be an https URL, not '{apiServer}'");
        if (options.CacheSeconds is < 0 or > 3600)
            throw new StartupException($"Attest:Admission:PullSecrets:CacheSeconds must be between 0 and 3600, not {options.CacheSeconds}");
        var cas = new X509Certificate2Collection();
        try
        {
            cas.ImportFromPemFile(options.CaFile);
            ReadTokenFile(options.TokenFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new StartupException($"Attest:Admission:PullSecrets: {e.Message}", e);
        }
        if (cas.Count == 0) throw new StartupException($"Attest:Admission:PullSecrets:CaFile {options.CaFile} holds no certificate");
        return new Connection(uri, cas);
    }

    public KubernetesPullSecrets(IOptions<PullSecretOptions> options, TimeProvider time, ILogger<KubernetesPullSecrets> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        if (Connect(_options) is not { } connection) return;
        var cas = connection.CaCertificates;
        _apiServer = connection.ApiServer;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(3),
            SslOptions = new SslClientAuthenticationOptions
            {
                // Only the cluster's CA vouches for the API server, not the system store.
                RemoteCertificateValidationCallback = Attest.Core.Crypto.TlsTrust.ChainsTo(cas, orSystemStore: false),
            },
        }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public bool Enabled => _http is not null;

    /// <summary>The credentials of the workload's pull secrets, in the kubelet's order (pod spec first, then the
    /// service account's), or null when there are none or reading them is not enabled.</summary>
    public async Task<IRegistryCredentialProvider?> ForWorkloadAsync(string kind, string? @namespace, JsonElement workload, CancellationToken cancellationToken)
    {
        if (_http is null || string.IsNullOrEmpty(@namespace) || !IsName(@namespace, 63)) return null;
        if (WorkloadImages.PodSpecPath(kind) is not { } path) return null;
        var spec = workload;
        foreach (var segment in path)
            if (spec.ValueKind != JsonValueKind.Object || !spec.TryGetProperty(segment, out spec)) return null;
        if (spec.ValueKind != JsonValueKind.Object) return null;

        var names = new List<string>();
        AddNames(spec, names);
        if (_options.ServiceAccounts)
        {
            var account = spec.TryGetProperty("serviceAccountName", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()
                : spec.TryGetProperty("serviceAccount", out var legacy) && legacy.ValueKind == JsonValueKind.String ? legacy.GetString()
                : "default";
            if (account is not null && IsName(account, 253))
            {
                var accountNames = await GetAsync($"/api/v1/namespaces/{@namespace}/serviceaccounts/{account}", ReadServiceAccount, cancellationToken).ConfigureAwait(false);
                if (accountNames is not null) names.AddRange(accountNames);
            }
        }

        // Fetched together (a cold admission waits for one round trip, not one per secret), used in the kubelet's order.
        var wanted = names.Distinct(StringComparer.Ordinal).Take(MaxSecretsPerWorkload).ToArray();
        var secrets = await Task.WhenAll(wanted.Select(name =>
            GetAsync($"/api/v1/namespaces/{@namespace}/secrets/{name}", ReadSecret, cancellationToken))).ConfigureAwait(false);
        var providers = new List<IRegistryCredentialProvider>();
        for (var i = 0; i < wanted.Length; i++)
        {
            if (secrets[i] is { Credentials: { } credentials }) providers.Add(credentials);
            else if (secrets[i] is not null) Log.SecretUnusable(_logger, @namespace, wanted[i]);
        }
        return providers.Count == 0 ? null : DockerConfigCredentials.Combine([.. providers]);
    }

    private static void AddNames(JsonElement holder, List<string> names)
    {
        if (!holder.TryGetProperty("imagePullSecrets", out var list) || list.ValueKind != JsonValueKind.Array) return;
        foreach (var item in list.EnumerateArray())
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String &&
                n.GetString() is { } name && IsName(name, 253) && names.Count < MaxSecretsPerWorkload * 2)
                names.Add(name);
    }

    private static List<string> ReadServiceAccount(JsonElement account)
    {
        var names = new List<string>();
        AddNames(account, names);
        return names;
    }

    /// <summary>A Secret that was read; its credentials are null when it holds no docker registry credentials.</summary>
    private sealed record PullSecret(DockerConfigCredentials? Credentials);

    private static PullSecret ReadSecret(JsonElement secret) => new(ReadCredentials(secret));

    /// <summary>A Secret's docker credentials (its <c>data</c> values are base64), or null if it has none.</summary>
    private static DockerConfigCredentials? ReadCredentials(JsonElement secret)
    {
        if (secret.ValueKind != JsonValueKind.Object ||
            !secret.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String ||
            !secret.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
            return null;
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in data.EnumerateObject())
        {
            if (entry.Name is not (".dockerconfigjson" or ".dockercfg") || entry.Value.ValueKind != JsonValueKind.String) continue;
            try
            {
                values[entry.Name] = Convert.FromBase64String(entry.Value.GetString()!);
            }
            catch (FormatException)
            {
                return null;
            }
        }
        try
        {
            return DockerConfigCredentials.FromPullSecret(type.GetString()!, values);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>An API object read into what is kept of it, from the cache or the API server; null when it does not
    /// exist or cannot be read.</summary>
    private async Task<T?> GetAsync<T>(string path, Func<JsonElement, T> read, CancellationToken cancellationToken) where T : class
    {
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(path, out var cached) && cached.ExpiresAt > now) return cached.Value as T;
        if (_cache.Count >= MaxCachedObjects) _cache.Clear();

        T? value = null;
        var cacheable = true;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_apiServer!, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token());
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            using var response = await _http!.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                if (response.Content.Headers.ContentLength > MaxResponseBytes) throw new InvalidDataException($"more than {MaxResponseBytes} bytes");
                await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                using var buffer = new MemoryStream();
                var chunk = new byte[16384];
                int count;
                while ((count = await stream.ReadAsync(chunk, timeout.Token).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + count > MaxResponseBytes) throw new InvalidDataException($"more than {MaxResponseBytes} bytes");
                    buffer.Write(chunk, 0, count);
                }
                using var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
                value = read(document.RootElement);
            }
            else
            {
                // 404 is an answer worth caching; 401/403 (RBAC) and 5xx may change soon, so they are retried.
                cacheable = response.StatusCode == HttpStatusCode.NotFound;
                Log.ApiRefused(_logger, path, (int)response.StatusCode);
            }
        }
        catch (Exception e) when (e is HttpRequestException or InvalidDataException or JsonException or IOException or OperationCanceledException)
        {
            // Past the admission deadline too: the registry's refusal (or the evaluator's deadline) then decides.
            cacheable = false;
            Log.ApiFailed(_logger, path, e.GetType().Name, e.Message);
        }
        if (cacheable && _options.CacheSeconds > 0)
            _cache[path] = new CachedObject(value, now + TimeSpan.FromSeconds(_options.CacheSeconds));
        return value;
    }

    private string Token()
    {
        if (_token is not { } token || _time.GetUtcNow() - token.ReadAt > TokenRefresh)
        {
            try
            {
                ReadToken();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (_token is null) throw new HttpRequestException($"service-account token cannot be read: {e.Message}", e);
            }
        }
        return _token!.Value.Token;
    }

    private void ReadToken() => _token = (ReadTokenFile(_options.TokenFile), _time.GetUtcNow());

    private static string ReadTokenFile(string file)
    {
        var text = File.ReadAllText(file).Trim();
        if (text.Length is 0 or > 16384) throw new IOException($"service-account token file {file} is empty or too large");
        return text;
    }

    /// <summary>DNS subdomain names (namespaces, secrets, service accounts), so a crafted name cannot alter the API path.</summary>
    private static bool IsName(string name, int maxLength) => name.Length <= maxLength && NameRegex().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();

    public void Dispose() => _http?.Dispose();

    private sealed record CachedObject(object? Value, DateTimeOffset ExpiresAt);

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.KubernetesApiRefused, Level = LogLevel.Warning, Message = "Kubernetes API {Path} answered {Status}; its pull secrets are not used")]
        public static partial void ApiRefused(ILogger logger, string path, int status);

        [LoggerMessage(EventId = LogEvents.KubernetesApiFailed, Level = LogLevel.Warning, Message = "Kubernetes API {Path} could not be read ({Error}: {Message}); its pull secrets are not used")]
        public static partial void ApiFailed(ILogger logger, string path, string error, string message);

        [LoggerMessage(EventId = LogEvents.PullSecretUnusable, Level = LogLevel.Warning, Message = "Secret {Namespace}/{Name} holds no docker registry credentials; not used")]
        public static partial void SecretUnusable(ILogger logger, string @namespace, string name);
    }
}
