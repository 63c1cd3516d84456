using System.Globalization;
using System.Net;
using Attest.Testing;

namespace Attest.Server.Tests.Telemetry;

/// <summary>
/// What an on-call engineer's Prometheus sees of a running Attest: each required series, found through Prometheus's
/// HTTP API after it scraped the server during known traffic (<see cref="ObservedServerFixture"/>), with the expected
/// labels and counts; the exposition accepted by <c>promtool check metrics</c>; the two ways in to <c>/metrics</c>.
/// </summary>
[Collection(ObservedServerCollection.Name)]
public sealed class PrometheusMetricsTests(ObservedServerFixture fixture)
{
    private PrometheusServer Prometheus => fixture.Prometheus;

    /// <summary>The sum of <paramref name="selector"/>'s series, once Prometheus's latest scrape shows at least
    /// <paramref name="atLeast"/> (counters only grow, so the traffic's effect is waited for, then compared).</summary>
    private async Task<double> SumAsync(string selector, double atLeast = 0)
    {
        try
        {
            var result = await Prometheus.WaitForAsync($"sum({selector})", r => r.Count == 1 && r[0].Value >= atLeast);
            return result[0].Value;
        }
        catch (TimeoutException e)
        {
            // Say what there is instead.
            var name = selector.Split('{')[0];
            var series = await Prometheus.QueryAsync(name);
            throw new TimeoutException($"{e.Message}\n{name} has: " +
                string.Join("\n", series.Select(s => $"{{{string.Join(",", s.Labels.Select(l => $"{l.Key}={l.Value}"))}}} {s.Value}")), e);
        }
    }

    [Fact]
    public async Task Admissions_are_counted_by_webhook_operation_kind_verdict_and_reason_code()
    {
        const string validate = "attest_admission_requests_total{job=\"attest\",webhook=\"validate\"";
        Assert.Equal(ObservedServerFixture.SignedAdmissions,
            await SumAsync(validate + ",operation=\"CREATE\",kind=\"Pod\",verdict=\"allow\",reason=\"none\"}", ObservedServerFixture.SignedAdmissions));
        Assert.Equal(ObservedServerFixture.UnsignedAdmissions,
            await SumAsync(validate + ",kind=\"Pod\",verdict=\"deny\",reason=\"signature.none\"}", ObservedServerFixture.UnsignedAdmissions));
        Assert.Equal(ObservedServerFixture.UnmatchedAdmissions, await SumAsync(validate + ",verdict=\"deny\",reason=\"policy.none\"}", 1));
        Assert.Equal(ObservedServerFixture.DeploymentAdmissions, await SumAsync(validate + ",kind=\"Deployment\",verdict=\"allow\"}", 1));
        Assert.Equal(ObservedServerFixture.InvalidAdmissions, await SumAsync(validate + ",verdict=\"invalid\",reason=\"request.invalid\",kind=\"other\"}", 1));
        Assert.Equal(ObservedServerFixture.ValidateRequests, await SumAsync(validate + "}", ObservedServerFixture.ValidateRequests));
        Assert.Equal(1, await SumAsync("attest_admission_requests_total{job=\"attest\",webhook=\"mutate\",verdict=\"allow\"}", 1));

        // Decision time: one observation per answer, in buckets fine below 10 ms.
        Assert.Equal(ObservedServerFixture.ValidateRequests,
            await SumAsync("attest_admission_duration_seconds_count{job=\"attest\",webhook=\"validate\"}", ObservedServerFixture.ValidateRequests));
        var buckets = await Prometheus.QueryAsync("attest_admission_duration_seconds_bucket{job=\"attest\",webhook=\"validate\",verdict=\"allow\"}");
        var bounds = buckets.Select(b => b.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(b.Labels["le"], NumberStyles.Float, CultureInfo.InvariantCulture)).ToHashSet();
        foreach (var bound in new[] { 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 10, double.PositiveInfinity })
            Assert.True(bounds.Contains(bound), $"no bucket {bound} in {string.Join(" ", bounds.Order())}");
    }

    [Fact]
    public async Task Verdict_cache_verification_and_registry_series_carry_outcomes_and_the_registry_host_only()
    {
        // The signed image is verified once, then its verdict is reused.
        Assert.True(await SumAsync("attest_admission_verdict_cache_lookups_total{job=\"attest\",result=\"hit\"}", 2) >= 2);
        Assert.True(await SumAsync("attest_admission_verdict_cache_lookups_total{job=\"attest\",result=\"miss\"}", 2) >= 2);
        Assert.True(await SumAsync("attest_admission_verdict_cache_size{job=\"attest\"}", 1) >= 1);
        Assert.Equal(2, (await Prometheus.QueryAsync("attest_admission_singleflight_waits_total{job=\"attest\"}")).Count); // collect and judge, from zero
        Assert.True(await SumAsync("attest_verifications_total{job=\"attest\",outcome=\"verified\",reason=\"none\"}", 1) >= 1);

        var registry = await Prometheus.QueryAsync("attest_registry_requests_total{job=\"attest\"}");
        Assert.NotEmpty(registry);
        Assert.All(registry, r => Assert.Equal(fixture.RegistryHost, r.Labels["registry"]));
        Assert.Contains(registry, r => r.Labels["status"] == "200" && r.Value > 0);
        Assert.True(await SumAsync($"attest_registry_request_duration_seconds_count{{job=\"attest\",registry=\"{fixture.RegistryHost}\"}}", 1) > 0);
    }

    [Fact]
    public async Task Signing_checks_tokens_and_the_ledger_are_counted()
    {
        Assert.Equal(1, await SumAsync("attest_signing_issued_total{job=\"attest\",artifact=\"signature\"}", 1));
        Assert.Equal(2, await SumAsync("attest_signing_issued_total{job=\"attest\",artifact=\"attestation\"}", 2)); // the API's and the passed check's
        Assert.Equal(3, (await Prometheus.QueryAsync("attest_signing_issued_total{job=\"attest\",artifact=~\"certificate|timestamp|log_entry\"} == 0")).Count);
        Assert.Equal(1, await SumAsync("attest_checks_total{job=\"attest\",check=\"sbom.evaluation\",outcome=\"passed\"}", 1));
        Assert.Equal(1, await SumAsync("attest_checks_total{job=\"attest\",check=\"sbom.evaluation\",outcome=\"failed\"}", 1));
        Assert.Equal(1, await SumAsync("attest_auth_token_requests_total{job=\"attest\",outcome=\"invalid_client\"}", 1));
        Assert.True(await SumAsync("attest_auth_token_requests_total{job=\"attest\",outcome=\"issued\"}", 3) >= 3);

        // Seven admission decisions with one image each, a signature, an attestation and two checks (and its attestation).
        Assert.True(await SumAsync("attest_ledger_appends_total{job=\"attest\",outcome=\"recorded\"}", 12) >= 12);
        Assert.Equal(0, await SumAsync("attest_ledger_appends_total{job=\"attest\",outcome=~\"failed|pushback\"}"));
        Assert.True(await SumAsync("attest_ledger_append_duration_seconds_count{job=\"attest\"}", 12) >= 12);
        Assert.True(await SumAsync("attest_ledger_commit_batch_size_count{job=\"attest\"}", 1) >= 1);
        var entries = await SumAsync("attest_ledger_entries{job=\"attest\"}", 12);
        Assert.True(await SumAsync("attest_ledger_checkpoint_entries{job=\"attest\"}", 1) <= entries);
        Assert.InRange(await SumAsync("attest_ledger_checkpoint_age_seconds{job=\"attest\"}"), 0, 600);
        Assert.Equal(0, await SumAsync("attest_ledger_quarantined{job=\"attest\"}"));
        Assert.True(await SumAsync("attest_ledger_sqlite_memory_bytes{job=\"attest\"}", 1) > 0); // the SQLite ledger's page cache
        Assert.True(await SumAsync("attest_ledger_audits_total{job=\"attest\",outcome=\"passed\"}", 1) >= 1);
    }

    [Fact]
    public async Task Policy_reloads_revision_build_tls_expiry_and_runtime_are_exported()
    {
        Assert.Equal(1, await SumAsync("attest_policy_reloads_total{job=\"attest\",outcome=\"refused\"}", 1));
        Assert.Equal(1, await SumAsync("attest_policy_reloads_total{job=\"attest\",outcome=\"applied\"}", 1));
        Assert.Equal(0, await SumAsync("attest_policy_reload_failing{job=\"attest\"}"));
        var revision = Assert.Single(await Prometheus.QueryAsync("attest_policy_info{job=\"attest\"}"));
        Assert.Equal(fixture.FinalRevision, revision.Labels["revision"]);
        Assert.NotEqual(fixture.InitialRevision, fixture.FinalRevision);

        var build = Assert.Single(await Prometheus.QueryAsync("attest_build_info{job=\"attest\"}"));
        Assert.Equal("0.1.0", build.Labels["version"]);
        var expiry = await SumAsync("attest_tls_certificate_expiry_time_seconds{job=\"attest\"}", 1);
        Assert.Equal(fixture.CertificateNotAfter.ToUnixTimeSeconds(), (long)expiry);

        Assert.True(await SumAsync("dotnet_process_memory_working_set_bytes{job=\"attest\"}", 1) > 10_000_000);
        Assert.True(await SumAsync("dotnet_gc_last_collection_heap_size_bytes{job=\"attest\"}", 1) > 0);
        Assert.True(await SumAsync("dotnet_thread_pool_threads{job=\"attest\"}", 1) >= 1);
        Assert.True(await SumAsync("http_server_request_duration_seconds_count{job=\"attest\",http_route=\"/admission/validate\"}", 1) >= ObservedServerFixture.ValidateRequests);
    }

    [Fact]
    public async Task Prometheus_scrapes_the_main_listener_with_its_own_oauth2_client_and_scope_metrics()
    {
        var up = await Prometheus.WaitForAsync("up", r => r.Count == 2 && r.All(s => s.Value == 1));
        Assert.Equal(["attest", "attest-oauth"], up.Select(u => u.Labels["job"]).Order(StringComparer.Ordinal));
        // The same server seen both ways.
        Assert.True(await SumAsync("attest_admission_requests_total{job=\"attest-oauth\",webhook=\"validate\"}", ObservedServerFixture.ValidateRequests)
                    >= ObservedServerFixture.ValidateRequests);
    }

    [Fact]
    public async Task Main_listener_metrics_need_a_token_with_scope_metrics_and_the_metrics_listener_serves_nothing_else()
    {
        using (var response = await fixture.Server.Client.GetAsync("metrics"))
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var audit = await fixture.Server.TokenForScopesAsync(fixture.DataDirectory, "audit");
        using (var response = await fixture.Server.SendAsync(HttpMethod.Get, "metrics", audit))
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var metrics = await fixture.Server.TokenForScopesAsync(fixture.DataDirectory, "metrics");
        using (var response = await fixture.Server.SendAsync(HttpMethod.Get, "metrics", metrics))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("attest_build_info", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The metrics listener answers GET /metrics and nothing else, so opening it to Prometheus opens nothing more.
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{fixture.MetricsPort}/") };
        using (var response = await client.GetAsync("metrics")) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var path in new[] { "readyz", "healthz", "v1/ledger/checkpoint", "openapi/v1.json", "metrics/x" })
            using (var response = await client.GetAsync(path)) Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using (var response = await client.PostAsync("admission/validate", new StringContent("{}", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using (var response = await client.PostAsync("metrics", new StringContent("")))
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Promtool_accepts_the_exposition_and_no_label_carries_an_image_digest_or_client()
    {
        var exposition = await fixture.ScrapeAsync();
        var (exitCode, output) = await Promtool.CheckMetricsAsync(exposition);
        Assert.True(exitCode == 0, output);

        foreach (var digest in new[] { fixture.SignedDigest, fixture.UnsignedDigest })
            Assert.DoesNotContain(digest.Hex, exposition, StringComparison.Ordinal);
        Assert.DoesNotContain("observed/", exposition, StringComparison.Ordinal); // no repository or image name
        // No client id (attest-<hex>) as a label value.
        Assert.DoesNotMatch(@"=""attest-[0-9a-f]{8,}""", exposition);
        Assert.True(exposition.Length < 400_000, $"the exposition is {exposition.Length.ToString(CultureInfo.InvariantCulture)} bytes");
    }
}
