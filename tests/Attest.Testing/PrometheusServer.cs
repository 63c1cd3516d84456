using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Attest.Testing;

/// <summary>One job of the Prometheus the test starts: a target (<c>127.0.0.1:port</c>) scraped at <c>/metrics</c>,
/// with the client credentials of Prometheus's own <c>oauth2</c> setting when the target needs a token.</summary>
public sealed record ScrapeJob(string Name, string Target, string? TokenUrl = null, string? ClientId = null, string? ClientSecret = null, string? Scope = null,
    string? CaFile = null);

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c>) for one test: a configuration naming the test's scrape jobs
/// (scraped every second) and rule files, a temporary storage directory, a free 127.0.0.1 port, started under the rig's
/// watchdog and stopped on dispose. The test asks it questions through its HTTP API, as an on-call engineer's
/// dashboards and alerts do.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("attest-prometheus");
    private Process? _watchdog;

    private PrometheusServer()
    {
    }

    public Uri BaseUri { get; private set; } = null!;

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string LogFile => _directory.Combine("prometheus.log");

    /// <summary>Starts Prometheus scraping <paramref name="jobs"/> every second and evaluating <paramref name="ruleFiles"/>.</summary>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<ScrapeJob> jobs, IEnumerable<string>? ruleFiles = null)
    {
        var prometheus = Prerequisites.Executable("prometheus", "prometheus");
        var server = new PrometheusServer();
        var config = server._directory.Combine("prometheus.yml");
        await File.WriteAllTextAsync(config, Configuration(jobs, ruleFiles ?? [])).ConfigureAwait(false);
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = RigProcess.FreeLoopbackPort();
            server.BaseUri = new Uri($"http://127.0.0.1:{port}/");
            server._watchdog = RigProcess.StartWatched(
                $"exec '{prometheus}' --config.file='{config}' --storage.tsdb.path='{server._directory.Combine("data")}' " +
                $"--web.listen-address=127.0.0.1:{port} --log.level=warn", server.LogFile);
            try
            {
                await server.WaitUntilReadyAsync().ConfigureAwait(false);
                return server;
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                last = e;
                await RigProcess.StopWatchedAsync(server._watchdog).ConfigureAwait(false);
            }
        }
        await server.DisposeAsync().ConfigureAwait(false);
        throw new InvalidOperationException($"prometheus did not start: {last?.Message}");
    }

    private static string Configuration(IEnumerable<ScrapeJob> jobs, IEnumerable<string> ruleFiles)
    {
        var yaml = new StringBuilder("""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            """).Append('\n');
        var rules = ruleFiles.ToList();
        if (rules.Count > 0) yaml.Append("rule_files:\n").AppendJoin("", rules.Select(r => $"  - '{r}'\n"));
        yaml.Append("scrape_configs:\n");
        foreach (var job in jobs)
        {
            yaml.Append($"  - job_name: '{job.Name}'\n    static_configs:\n      - targets: ['{job.Target}']\n");
            // HTTPS when Prometheus is given the CA that signed the target's certificate (for the token URL too).
            if (job.CaFile is not null) yaml.Append($"    scheme: https\n    tls_config:\n      ca_file: '{job.CaFile}'\n");
            if (job.TokenUrl is null) continue;
            yaml.Append($"    oauth2:\n      client_id: '{job.ClientId}'\n      client_secret: '{job.ClientSecret}'\n      token_url: '{job.TokenUrl}'\n");
            if (job.Scope is not null) yaml.Append($"      scopes: ['{job.Scope}']\n");
            if (job.CaFile is not null) yaml.Append($"      tls_config:\n        ca_file: '{job.CaFile}'\n");
        }
        return yaml.ToString();
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_watchdog!.HasExited) throw new InvalidOperationException($"prometheus exited: {RigProcess.ReadLogTail(LogFile)}");
            try
            {
                using var response = await Client.GetAsync(new Uri(BaseUri, "-/ready")).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200).ConfigureAwait(false);
        }
        throw new TimeoutException($"prometheus did not become ready on {BaseUri}: {RigProcess.ReadLogTail(LogFile)}");
    }

    /// <summary>The <c>data</c> of an <c>/api/v1/…</c> answer (status must be success).</summary>
    public async Task<JsonElement> ApiAsync(string pathAndQuery)
    {
        using var response = await Client.GetAsync(new Uri(BaseUri, "api/v1/" + pathAndQuery)).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"prometheus answered {(int)response.StatusCode}: {body}");
        return document.RootElement.GetProperty("data").Clone();
    }

    /// <summary>An instant query: each series of the result as its labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        var data = await ApiAsync("query?query=" + Uri.EscapeDataString(promql)).ConfigureAwait(false);
        var series = new List<(IReadOnlyDictionary<string, string>, double)>();
        if (data.GetProperty("resultType").GetString() == "scalar")
            return [(new Dictionary<string, string>(), ParseValue(data.GetProperty("result")))];
        foreach (var item in data.GetProperty("result").EnumerateArray())
        {
            var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            series.Add((labels, ParseValue(item.GetProperty("value"))));
        }
        return series;
    }

    private static double ParseValue(JsonElement pair) =>
        double.Parse(pair[1].GetString()!, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Polls <paramref name="promql"/> until <paramref name="done"/> holds for its result (scrapes are every
    /// second); fails with the last result after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> WaitForAsync(
        string promql, Func<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var result = await QueryAsync(promql).ConfigureAwait(false);
            if (done(result)) return result;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"'{promql}' never satisfied the condition; last result: " +
                    string.Join("; ", result.Select(r => $"{{{string.Join(",", r.Labels.Select(l => $"{l.Key}={l.Value}"))}}} {r.Value}")));
            await Task.Delay(500).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_watchdog is not null) await RigProcess.StopWatchedAsync(_watchdog).ConfigureAwait(false);
        _watchdog?.Dispose();
        _directory.Dispose();
    }
}

/// <summary>Prometheus's own checker (<c>promtool</c>, from the Debian package <c>prometheus</c>).</summary>
public static class Promtool
{
    /// <summary><c>promtool check metrics</c> on an exposition: exit code and what it said.</summary>
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string exposition)
    {
        using var directory = new TempDirectory("attest-promtool");
        var file = directory.Combine("metrics.txt");
        await File.WriteAllTextAsync(file, exposition).ConfigureAwait(false);
        // promtool reads the exposition from stdin; the shell gives it the file.
        return await RigProcess.RunAsync("/bin/sh", ["-c", $"exec '{Prerequisites.Executable("promtool", "prometheus")}' check metrics < '{file}'"], check: false)
            .ConfigureAwait(false);
    }

    /// <summary><c>promtool check rules</c> on a rules file.</summary>
    public static Task<(int ExitCode, string Output)> CheckRulesAsync(string rulesFile) =>
        RigProcess.RunAsync(Prerequisites.Executable("promtool", "prometheus"), ["check", "rules", rulesFile], check: false);
}
