using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Attest.Core.IO;
using Attest.Oci;
using Attest.Policy.Admission;
using Attest.Server.Hosting;
using k8s;
using k8s.Authentication;
using k8s.Autorest;
using k8s.Exceptions;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Attest.Server.Admission;

/// <summary>Section <c>Attest:Admission:PullSecrets</c>: reading workloads' image pull secrets from the Kubernetes API.</summary>
public sealed class PullSecretOptions
{
    public const string Section = "Attest:Admission:PullSecrets";

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
/// Reads image pull secrets from the Kubernetes API server for one workload, through KubernetesClient: the names in the
/// pod spec's <c>imagePullSecrets</c>, then those of its service account, each Secret
/// (<c>kubernetes.io/dockerconfigjson</c> or <c>kubernetes.io/dockercfg</c>). In a pod with the default settings the
/// client's in-cluster configuration is used (KUBERNETES_SERVICE_HOST/PORT, the service-account token, re-read as the
/// kubelet rotates it, and the cluster CA); only that CA vouches for the API server, never the system store. Answers are
/// cached briefly, misses too, so a burst of pods costs one API call per secret. A secret that cannot be read is
/// skipped (the registry's refusal then names the cause); its contents are never logged, only its namespace and name.
/// </summary>
public sealed partial class KubernetesPullSecrets : IDisposable
{
    private const int MaxSecretsPerWorkload = 16;
    private const int MaxResponseBytes = 1 << 20;
    private const int MaxCachedObjects = 10_000;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(3);

    private readonly PullSecretOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<KubernetesPullSecrets> _logger;
    private readonly Kubernetes? _client;
    private readonly ConcurrentDictionary<string, CachedObject> _cache = new(StringComparer.Ordinal);

    /// <summary>Where the API server is, which CA vouches for it and where the token is, checked at start-up; null when not enabled.</summary>
    public sealed record Connection(Uri ApiServer, X509Certificate2Collection CaCertificates, ITokenProvider Token);

    /// <summary>Checks the options now, so a missing token or CA stops start-up instead of failing admissions later.</summary>
    public static Connection? Connect(PullSecretOptions options)
    {
        if (!options.Enabled) return null;
        if (options.CacheSeconds is < 0 or > 3600)
            throw new StartupException($"Attest:Admission:PullSecrets:CacheSeconds must be between 0 and 3600, not {options.CacheSeconds}");
        if (!string.IsNullOrEmpty(options.ApiServer)) CheckHttps(options.ApiServer);
        KubernetesClientConfiguration configuration;
        try
        {
            configuration = IsInClusterDefault(options)
                ? KubernetesClientConfiguration.InClusterConfig()
                : new KubernetesClientConfiguration
                {
                    Host = string.IsNullOrEmpty(options.ApiServer) ? InClusterHost() : options.ApiServer,
                    TokenProvider = new TokenFileAuth(options.TokenFile),
                    SslCaCerts = LoadCertificates(options.CaFile),
                };
        }
        catch (KubeConfigException)
        {
            throw new StartupException("Attest:Admission:PullSecrets:Enabled needs Attest:Admission:PullSecrets:ApiServer or KUBERNETES_SERVICE_HOST (in-cluster)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new StartupException($"Attest:Admission:PullSecrets: {e.Message}", e);
        }
        var uri = CheckHttps(configuration.Host);
        var cas = configuration.SslCaCerts ?? [];
        if (cas.Count == 0) throw new StartupException($"Attest:Admission:PullSecrets:CaFile {options.CaFile} holds no certificate");
        try
        {
            CheckTokenFile(options.TokenFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"Attest:Admission:PullSecrets: {e.Message}", e);
        }
        return new Connection(uri, cas, configuration.TokenProvider!);
    }

    private static Uri CheckHttps(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == "https"
            ? uri
            : throw new StartupException($"Attest:Admission:PullSecrets:ApiServer must be an https URL, not '{url}'");

    private static X509Certificate2Collection LoadCertificates(string pemFile)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(pemFile);
        return certificates;
    }

    /// <summary>The API server a pod reaches (KUBERNETES_SERVICE_HOST/PORT), for a token or CA file given elsewhere.</summary>
    private static string InClusterHost()
    {
        var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT") ?? "443";
        if (string.IsNullOrEmpty(host)) throw new KubeConfigException("KUBERNETES_SERVICE_HOST is not set");
        return $"https://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}";
    }

    /// <summary>Nothing configured beyond Enabled: the pod's own in-cluster settings.</summary>
    private static bool IsInClusterDefault(PullSecretOptions options) =>
        string.IsNullOrEmpty(options.ApiServer)
        && options.TokenFile == PullSecretOptions.ServiceAccountDirectory + "/token"
        && options.CaFile == PullSecretOptions.ServiceAccountDirectory + "/ca.crt";

    public KubernetesPullSecrets(IOptions<PullSecretOptions> options, TimeProvider time, ILogger<KubernetesPullSecrets> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        if (Connect(_options) is not { } connection) return;
        var cas = connection.CaCertificates;
        _client = new Kubernetes(new KubernetesClientConfiguration
        {
            Host = connection.ApiServer.ToString(),
            TokenProvider = connection.Token,
            // No SslCaCerts here: the client would also accept any certificate the system store trusts.
            FirstMessageHandlerSetup = handler =>
            {
                var sockets = (SocketsHttpHandler)handler;
                sockets.AllowAutoRedirect = false;
                sockets.PooledConnectionLifetime = TimeSpan.FromMinutes(5);
                sockets.ConnectTimeout = RequestTimeout;
                sockets.SslOptions.RemoteCertificateValidationCallback = Attest.Core.Crypto.TlsTrust.ChainsTo(cas, orSystemStore: false);
            },
        }, new ResponseSizeLimit(MaxResponseBytes));
    }

    public bool Enabled => _client is not null;

    /// <summary>The credentials of the workload's pull secrets, in the kubelet's order (pod spec first, then the
    /// service account's), or null when there are none or reading them is not enabled.</summary>
    public async Task<IRegistryCredentialProvider?> ForWorkloadAsync(string kind, string? @namespace, JsonElement workload, CancellationToken cancellationToken)
    {
        if (_client is null || string.IsNullOrEmpty(@namespace) || !IsName(@namespace, 63)) return null;
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
                var accountNames = await GetAsync($"/api/v1/namespaces/{@namespace}/serviceaccounts/{account}",
                    async ct => ReadServiceAccount(await _client.CoreV1.ReadNamespacedServiceAccountAsync(account, @namespace, cancellationToken: ct).ConfigureAwait(false)),
                    cancellationToken).ConfigureAwait(false);
                if (accountNames is not null) names.AddRange(accountNames);
            }
        }

        // Fetched together (a cold admission waits for one round trip, not one per secret), used in the kubelet's order.
        var wanted = names.Distinct(StringComparer.Ordinal).Take(MaxSecretsPerWorkload).ToArray();
        var secrets = await Task.WhenAll(wanted.Select(name =>
            GetAsync($"/api/v1/namespaces/{@namespace}/secrets/{name}",
                async ct => new PullSecret(ReadCredentials(await _client.CoreV1.ReadNamespacedSecretAsync(name, @namespace, cancellationToken: ct).ConfigureAwait(false))),
                cancellationToken))).ConfigureAwait(false);
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
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
                AddName(n.GetString(), names);
    }

    private static void AddName(string? name, List<string> names)
    {
        if (name is not null && IsName(name, 253) && names.Count < MaxSecretsPerWorkload * 2) names.Add(name);
    }

    private static List<string> ReadServiceAccount(V1ServiceAccount account)
    {
        var names = new List<string>();
        foreach (var reference in account.ImagePullSecrets ?? []) AddName(reference?.Name, names);
        return names;
    }

    /// <summary>A Secret that was read; its credentials are null when it holds no docker registry credentials.</summary>
    private sealed record PullSecret(DockerConfigCredentials? Credentials);

    /// <summary>A Secret's docker credentials (the client has base64-decoded its <c>data</c>), or null if it has none.</summary>
    private static DockerConfigCredentials? ReadCredentials(V1Secret secret)
    {
        if (secret.Type is not { } type || secret.Data is not { } data) return null;
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (name, value) in data)
            if (name is ".dockerconfigjson" or ".dockercfg" && value is not null) values[name] = value;
        try
        {
            return DockerConfigCredentials.FromPullSecret(type, values);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>An API object read into what is kept of it, from the cache or the API server; null when it does not
    /// exist or cannot be read. <paramref name="path"/> names it in the cache and the log.</summary>
    private async Task<T?> GetAsync<T>(string path, Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken) where T : class
    {
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(path, out var cached) && cached.ExpiresAt > now) return cached.Value as T;
        if (_cache.Count >= MaxCachedObjects) _cache.Clear();

        T? value = null;
        var cacheable = true;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RequestTimeout);
            value = await read(timeout.Token).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            // 404 is an answer worth caching; 401/403 (RBAC) and 5xx may change soon, so they are retried.
            var status = e.Response?.StatusCode ?? 0;
            cacheable = status == HttpStatusCode.NotFound;
            Log.ApiRefused(_logger, path, (int)status);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidDataException or JsonException or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            // Past the admission deadline too: the registry's refusal (or the evaluator's deadline) then decides.
            cacheable = false;
            Log.ApiFailed(_logger, path, e.GetType().Name, e.Message);
        }
        if (cacheable && _options.CacheSeconds > 0)
            _cache[path] = new CachedObject(value, now + TimeSpan.FromSeconds(_options.CacheSeconds));
        return value;
    }

    private static void CheckTokenFile(string file)
    {
        var info = new FileInfo(file);
        if (!info.Exists) throw new FileNotFoundException($"service-account token file {file} does not exist", file);
        if (info.Length is 0 or > 16384 || File.ReadAllText(file).Trim().Length == 0)
            throw new IOException($"service-account token file {file} is empty or too large");
    }

    /// <summary>DNS subdomain names (namespaces, secrets, service accounts), so a crafted name cannot alter the API path.</summary>
    private static bool IsName(string name, int maxLength) => name.Length <= maxLength && NameRegex().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex NameRegex();

    public void Dispose() => _client?.Dispose();

    private sealed record CachedObject(object? Value, DateTimeOffset ExpiresAt);

    /// <summary>Reads each API answer into memory up to a bound, so a huge or endless body fails instead of filling memory
    /// (the client would otherwise buffer whatever the server sends).</summary>
    private sealed class ResponseSizeLimit(int maxBytes) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            try
            {
                if (response.Content.Headers.ContentLength > maxBytes) throw new InvalidDataException($"more than {maxBytes} bytes");
                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var body = await BoundedRead.ReadAllAsync(stream, maxBytes, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidDataException($"more than {maxBytes} bytes");
                var bounded = new ByteArrayContent(body);
                foreach (var header in response.Content.Headers) bounded.Headers.TryAddWithoutValidation(header.Key, header.Value);
                response.Content.Dispose();
                response.Content = bounded;
                return response;
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
    }

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
