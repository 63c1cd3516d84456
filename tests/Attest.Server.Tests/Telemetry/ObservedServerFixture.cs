using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Server.Tests.Admission;
using Attest.Server.Tests.Checks;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Telemetry;

[CollectionDefinition(Name)]
public sealed class ObservedServerCollection : ICollectionFixture<ObservedServerFixture>
{
    public const string Name = "observed-server";
}

/// <summary>
/// A real Attest watched by a real Prometheus, shared by the observability tests: the webhook on HTTPS with its metrics
/// listener, a real registry with a signed and an unsigned image, and a Prometheus that scrapes the metrics listener
/// (job <c>attest</c>) and the main listener with its own OAuth2 client credentials and scope <c>metrics</c> (job
/// <c>attest-oauth</c>), every second, evaluating the Helm chart's alert rules. Then known traffic: admissions of every
/// verdict, signatures, checks, token requests, a refused and an applied policy reload. The counts below are what the
/// tests expect to find in Prometheus.
/// </summary>
public sealed class ObservedServerFixture : IAsyncLifetime
{
    public const int SignedAdmissions = 3;
    public const int UnsignedAdmissions = 2;
    public const int UnmatchedAdmissions = 1;
    public const int DeploymentAdmissions = 1;
    public const int InvalidAdmissions = 1;
    public const int ValidateRequests = SignedAdmissions + UnsignedAdmissions + UnmatchedAdmissions + DeploymentAdmissions + InvalidAdmissions;

    private readonly RegistryFixture _registry = new();
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private readonly TestSigstore _sigstore = new();
    private readonly ECDsa _releaseKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly TempDirectory _rules = new("attest-rules");

    public ServerProcess Server { get; private set; } = null!;

    public PrometheusServer Prometheus { get; private set; } = null!;

    public int MetricsPort { get; private set; }

    public string RegistryHost => _registry.Host;

    public Digest SignedDigest { get; private set; }

    public Digest UnsignedDigest { get; private set; }

    public string RulesFile => _rules.Combine("attest-rules.yaml");

    public string DataDirectory => _workspace.DataDirectory;

    /// <summary>The labels of Prometheus's ALERTS series for AttestPolicyReloadFailing while a reload was refused.</summary>
    public IReadOnlyDictionary<string, string> PolicyAlertWhileRefused { get; private set; } = new Dictionary<string, string>();

    /// <summary>The policy revision in force at start.</summary>
    public string InitialRevision { get; private set; } = "";

    /// <summary>The policy revision in force after the traffic (the applied reload's).</summary>
    public string FinalRevision { get; private set; } = "";

    /// <summary>When the serving certificate expires (what the TLS gauge must say).</summary>
    public DateTimeOffset CertificateNotAfter { get; private set; }

    public async Task InitializeAsync()
    {
        await _registry.InitializeAsync();
        using var images = new TestImageRegistry(_registry.Host);
        await ObservedPolicies.WriteAsync(_workspace.PolicyDirectory, _sigstore, _releaseKey, _registry.Host, "observed", "release");
        SignedDigest = await ObservedPolicies.PushSignedAsync(images, "observed/signed", _sigstore, _releaseKey);
        UnsignedDigest = await images.PushImageAsync("observed/unsigned", "v1");

        Server = await StartServerAsync();
        using (var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(_workspace.CertificateFile))
            CertificateNotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        var scraper = await Server.CreateClientAsync(_workspace.DataDirectory, "prometheus", "metrics");

        await File.WriteAllTextAsync(RulesFile, ChartRules.RulesFileYaml());
        Prometheus = await PrometheusServer.StartAsync(
        [
            new ScrapeJob("attest", $"127.0.0.1:{MetricsPort}"),
            new ScrapeJob("attest-oauth", $"127.0.0.1:{Server.BaseUri.Port}", new Uri(Server.BaseUri, "oauth/token").ToString(),
                scraper.ClientId, scraper.ClientSecret, "metrics", _workspace.CertificateFile),
        ], [RulesFile]);

        await SendTrafficAsync();
    }

    /// <summary>The webhook on HTTPS and the metrics listener on a free port (retried if another process takes it).</summary>
    private async Task<ServerProcess> StartServerAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            MetricsPort = RigProcess.FreeLoopbackPort();
            try
            {
                return await _workspace.StartWebhookAsync(
                    $"--Attest:Registries:Insecure:0={_registry.Host}",
                    $"--Attest:Telemetry:MetricsUrl=http://127.0.0.1:{MetricsPort}");
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
            }
        }
    }

    private async Task SendTrafficAsync()
    {
        var signed = $"{_registry.Host}/observed/signed@{SignedDigest}";
        var pod = AdmissionRequests.Load("02_pod.json");
        for (var i = 0; i < SignedAdmissions; i++) await ValidateAsync(pod.WithImage("/spec/containers/0/image", signed), allowed: true);
        for (var i = 0; i < UnsignedAdmissions; i++)
            await ValidateAsync(pod.WithImage("/spec/containers/0/image", $"{_registry.Host}/observed/unsigned@{UnsignedDigest}"), allowed: false);
        await ValidateAsync(pod.WithImage("/spec/containers/0/image", $"{_registry.Host}/elsewhere/app@{UnsignedDigest}"), allowed: false);
        await ValidateAsync(AdmissionRequests.Load("01_deployment.json").WithImage("/spec/template/spec/containers/0/image", signed), allowed: true);
        var (invalid, _) = await AdmissionRequests.PostRawAsync(Server.Client, "admission/validate", "{\"kind\":"u8.ToArray());
        Assert.Equal(400, invalid);
        var (mutated, _) = await AdmissionRequests.PostAsync(Server.Client, "admission/mutate", pod.WithImage("/spec/containers/0/image", signed));
        Assert.Equal(200, mutated);

        // A client with a wrong secret, then a signature, an attestation and two SBOM checks (one passes: its attestation is issued too).
        using (var refused = new HttpRequestMessage(HttpMethod.Post, new Uri(Server.BaseUri, "oauth/token"))
               {
                   Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", "nobody"), new("client_secret", "wrong")]),
               })
        using (var response = await Server.Client.SendAsync(refused))
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        var sign = await Server.TokenForScopesAsync(_workspace.DataDirectory, "sign");
        var digest = "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        using (var response = await Server.SendAsync(HttpMethod.Post, "v1/signatures", sign, System.Net.Http.Json.JsonContent.Create(new { digest })))
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        using (var response = await Server.SendAsync(HttpMethod.Post, "v1/attestations", sign, System.Net.Http.Json.JsonContent.Create(new
               {
                   subject = new { name = "app.bin", digest },
                   predicateType = "https://slsa.dev/provenance/v1",
                   predicate = new { buildDefinition = new { buildType = "https://example.com/ci" } },
               })))
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        foreach (var vector in new[] { "ntia/no_elements_missing.spdx.json", "ntia/missing_supplier_name.spdx.json" })
        {
            using var form = new MultipartFormDataContent()
                .AddFile("sbom", File.ReadAllBytes(RepositoryPaths.Vectors(["sbom", .. vector.Split('/')])), "sbom.json")
                .Add("subjectName", "registry.example.com/app")
                .Add("subjectDigest", digest)
                .Add("policy", "ntia");
            using var response = await Server.SendAsync(HttpMethod.Post, "v1/sbom/evaluate", sign, form);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        // A reload refused (the alert goes pending meanwhile), then one applied.
        InitialRevision = (await Prometheus.WaitForAsync("attest_policy_info{job=\"attest\"}", r => r.Count == 1))[0].Labels["revision"];
        var later = Path.Combine(_workspace.PolicyDirectory, "later.yaml");
        await File.WriteAllTextAsync(later, "apiVersion: attest.dev/v1\nkind: ImagePolicy\nmetadata: {name: broken}\nspec: {spce: 1}\n");
        await Prometheus.WaitForAsync("attest_policy_reload_failing{job=\"attest\"}", r => r.Count == 1 && r[0].Value == 1);
        PolicyAlertWhileRefused = (await Prometheus.WaitForAsync("ALERTS{alertname=\"AttestPolicyReloadFailing\"}", r => r.Count > 0))[0].Labels;
        await File.WriteAllTextAsync(later, "apiVersion: attest.dev/v1\nkind: SbomPolicy\nmetadata: {name: later}\nspec: {ntiaMinimumElements: true}\n");
        await Prometheus.WaitForAsync("attest_policy_reload_failing{job=\"attest\"}", r => r.Count == 1 && r[0].Value == 0);
        FinalRevision = (await Prometheus.WaitForAsync("attest_policy_info{job=\"attest\"}", r => r.Count == 1 && r[0].Labels["revision"] != InitialRevision))[0].Labels["revision"];
    }

    private async Task ValidateAsync(JsonObject review, bool allowed)
    {
        review["request"]!["uid"] = Guid.NewGuid().ToString();
        var (status, body) = await AdmissionRequests.PostAsync(Server.Client, "admission/validate", review);
        Assert.Equal(200, status);
        Assert.Equal(allowed, body.RootElement.GetProperty("response").GetProperty("allowed").GetBoolean());
    }

    /// <summary>What the metrics listener serves now, without a token.</summary>
    public async Task<string> ScrapeAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        return await client.GetStringAsync(new Uri($"http://127.0.0.1:{MetricsPort}/metrics"));
    }

    public async Task DisposeAsync()
    {
        if (Prometheus is not null) await Prometheus.DisposeAsync();
        if (Server is not null) await Server.DisposeAsync();
        await _registry.DisposeAsync();
        _releaseKey.Dispose();
        _sigstore.Dispose();
        _workspace.Dispose();
        _rules.Dispose();
    }
}
