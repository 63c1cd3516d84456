using System.Text.Json;
using Attest.Testing;

namespace Attest.Server.Tests.Telemetry;

/// <summary>
/// The Helm chart's alerts and the Grafana dashboard against the real thing: <c>promtool check rules</c>, every rule
/// evaluated by a real Prometheus scraping a real Attest, the policy-reload alert going off when a reload is refused,
/// and every series an alert or a panel reads exported by Attest.
/// </summary>
[Collection(ObservedServerCollection.Name)]
public sealed class AlertsAndDashboardTests(ObservedServerFixture fixture)
{
    /// <summary>Every series name the alerts and the dashboard read, with where.</summary>
    private static IEnumerable<(string Where, string Series)> References() =>
        ChartRules.Alerts().SelectMany(a => PromQl.MetricNames(a.Expression).Select(n => ($"alert {a.Alert}", n)))
            .Concat(ChartRules.DashboardQueries().SelectMany(q => PromQl.MetricNames(q.Expression).Select(n => ($"panel '{q.Panel}'", n))));

    [Fact]
    public async Task Promtool_accepts_the_chart_alert_rules()
    {
        var (exitCode, output) = await Promtool.CheckRulesAsync(fixture.RulesFile);
        Assert.True(exitCode == 0, output);
        Assert.Contains($"SUCCESS: {ChartRules.Alerts().Count} rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prometheus_evaluates_every_alert_rule_without_error()
    {
        var expected = ChartRules.Alerts().Select(a => a.Alert).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("AttestAdmissionLatencyHigh", expected);
        Assert.Contains("AttestTlsCertificateExpiring", expected);
        JsonElement rules = default;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            rules = await fixture.Prometheus.ApiAsync("rules");
            var all = rules.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
            if (all.Count == expected.Count && all.All(r => r.GetProperty("health").GetString() == "ok")) break;
            Assert.True(DateTime.UtcNow < deadline, $"rules not all healthy: {rules}");
            await Task.Delay(500);
        }
        var names = rules.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Select(r => r.GetProperty("name").GetString()!).Order(StringComparer.Ordinal);
        Assert.Equal(expected, names);
    }

    [Fact]
    public void The_policy_reload_alert_went_off_while_a_reload_was_refused()
    {
        Assert.Equal("AttestPolicyReloadFailing", fixture.PolicyAlertWhileRefused["alertname"]);
        Assert.Contains(fixture.PolicyAlertWhileRefused["alertstate"], new[] { "pending", "firing" });
        Assert.Equal("warning", fixture.PolicyAlertWhileRefused["severity"]);
    }

    [Fact]
    public async Task Alerts_and_dashboard_read_only_series_Attest_exports()
    {
        var references = References().ToList();
        Assert.Contains(references, r => r.Series == "attest_admission_duration_seconds_bucket");
        var missing = new List<string>();
        foreach (var series in references.Select(r => r.Series).Distinct(StringComparer.Ordinal))
        {
            var found = await fixture.Prometheus.QueryAsync($"count({{__name__=\"{series}\",job=\"attest\"}})");
            if (found.Count == 0 || found[0].Value == 0)
                missing.Add($"{series} (read by {string.Join(", ", references.Where(r => r.Series == series).Select(r => r.Where).Distinct())})");
        }
        Assert.True(missing.Count == 0, "not exported by Attest: " + string.Join("; ", missing));
    }

    [Fact]
    public async Task Every_dashboard_query_runs_in_Prometheus()
    {
        foreach (var (panel, expression) in ChartRules.DashboardQueries())
        {
            var query = ChartRules.Runnable(expression);
            // ApiAsync fails on a query Prometheus refuses (a parse error, a mismatched vector operation).
            var data = await fixture.Prometheus.ApiAsync("query?query=" + Uri.EscapeDataString(query));
            Assert.True(data.GetProperty("resultType").GetString() is "vector" or "scalar", $"{panel}: {query}");
        }
    }

    [Fact]
    public async Task A_reference_to_a_series_Attest_does_not_export_is_caught()
    {
        var names = PromQl.MetricNames("sum by (registry) (rate(attest_made_up_total{job=~\"$job\",status=\"5xx\"}[$__rate_interval])) > 2 * on (job) attest_build_info offset 1h");
        Assert.Equal(new HashSet<string> { "attest_made_up_total", "attest_build_info" }, names);
        Assert.Empty(await fixture.Prometheus.QueryAsync("count({__name__=\"attest_made_up_total\"})"));
    }
}
