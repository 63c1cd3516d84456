using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Attest.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Attest.Server.Tests.Admission;

/// <summary>
/// The few Kubernetes API server routes the webhook reads (a ServiceAccount, a Secret), served over HTTPS by Kestrel on
/// a free loopback port with a certificate of its own CA, answering bearer-token requests with the JSON the API server
/// sends (objects with metadata, <c>Status</c> objects for 401 and 404). Records the paths requested.
/// </summary>
internal sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("fake-kube-api");
    private readonly ConcurrentDictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requests = new();
    private WebApplication? _app;

    public string Token { get; } = "eyJhbGciOiJSUzI1NiJ9.test-service-account-token." + Guid.NewGuid().ToString("N");

    public string TokenFile => _directory.Combine("token");

    public string CaFile => _directory.Combine("tls.crt");

    public Uri BaseUri { get; private set; } = null!;

    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>How long every answer takes (a slow or distant API server).</summary>
    public TimeSpan ResponseDelay { get; set; }

    /// <summary>The most requests that were in flight at once.</summary>
    public int MostInFlight { get; private set; }

    private int _inFlight;

    public static async Task<FakeKubernetesApi> StartAsync()
    {
        var api = new FakeKubernetesApi();
        await api.StartCoreAsync();
        return api;
    }

    private async Task StartCoreAsync()
    {
        var (_, certificateFile, keyFile) = TestCertificates.CreateLoopbackTls(_directory.Path);
        await File.WriteAllTextAsync(TokenFile, Token + "\n");
        var certificate = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        _app = builder.Build();
        _app.MapGet("/api/v1/namespaces/{ns}/{resource}/{name}", async (HttpContext context, string ns, string resource, string name) =>
        {
            _requests.Enqueue(context.Request.Path);
            var inFlight = Interlocked.Increment(ref _inFlight);
            lock (_requests) MostInFlight = Math.Max(MostInFlight, inFlight);
            try
            {
                await Task.Delay(ResponseDelay);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + Token)
                return Status(401, "Unauthorized", "Unauthorized");
            if (resource is not ("secrets" or "serviceaccounts"))
                return Status(404, "NotFound", "the server could not find the requested resource");
            return _objects.TryGetValue($"{ns}/{resource}/{name}", out var found)
                ? Results.Text(found.ToJsonString(), "application/json", Encoding.UTF8, 200)
                : Status(404, "NotFound", $"{resource} \"{name}\" not found");
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUri = new Uri(address);
    }

    private static IResult Status(int code, string reason, string message) => Results.Text(new JsonObject
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    }.ToJsonString(), "application/json", Encoding.UTF8, code);

    private static JsonObject Metadata(string ns, string name) => new()
    {
        ["name"] = name,
        ["namespace"] = ns,
        ["uid"] = Guid.NewGuid().ToString(),
        ["resourceVersion"] = "48211",
        ["creationTimestamp"] = "2026-11-21T09:00:00Z",
    };

    /// <summary>A <c>kubernetes.io/dockerconfigjson</c> Secret as <c>kubectl create secret docker-registry</c> makes it.</summary>
    public void AddDockerConfigSecret(string ns, string name, string registry, string username, string password)
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));
        var config = new JsonObject
        {
            ["auths"] = new JsonObject { [registry] = new JsonObject { ["username"] = username, ["password"] = password, ["auth"] = auth } },
        }.ToJsonString();
        _objects[$"{ns}/secrets/{name}"] = new JsonObject
        {
            ["kind"] = "Secret",
            ["apiVersion"] = "v1",
            ["metadata"] = Metadata(ns, name),
            ["data"] = new JsonObject { [".dockerconfigjson"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(config)) },
            ["type"] = "kubernetes.io/dockerconfigjson",
        };
    }

    /// <summary>An Opaque secret (not usable for pulling).</summary>
    public void AddOpaqueSecret(string ns, string name) => _objects[$"{ns}/secrets/{name}"] = new JsonObject
    {
        ["kind"] = "Secret",
        ["apiVersion"] = "v1",
        ["metadata"] = Metadata(ns, name),
        ["data"] = new JsonObject { ["password"] = Convert.ToBase64String("hunter2"u8.ToArray()) },
        ["type"] = "Opaque",
    };

    /// <summary>A Secret whose JSON is larger than any pull secret (an API server, or something posing as one, that
    /// answers without end).</summary>
    public void AddOversizedSecret(string ns, string name, int bytes) => _objects[$"{ns}/secrets/{name}"] = new JsonObject
    {
        ["kind"] = "Secret",
        ["apiVersion"] = "v1",
        ["metadata"] = Metadata(ns, name),
        ["data"] = new JsonObject { ["blob"] = Convert.ToBase64String(new byte[bytes]) },
        ["type"] = "Opaque",
    };

    public void AddServiceAccount(string ns, string name, params string[] imagePullSecrets) => _objects[$"{ns}/serviceaccounts/{name}"] = new JsonObject
    {
        ["kind"] = "ServiceAccount",
        ["apiVersion"] = "v1",
        ["metadata"] = Metadata(ns, name),
        ["imagePullSecrets"] = new JsonArray([.. imagePullSecrets.Select(s => (JsonNode)new JsonObject { ["name"] = s })]),
    };

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        _directory.Dispose();
    }
}
