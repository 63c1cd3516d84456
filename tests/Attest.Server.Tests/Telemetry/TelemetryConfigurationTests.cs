using System.Net;
using System.Text.Json;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Telemetry;

/// <summary>The telemetry settings at start-up: bad values stop the server with one line naming the setting, telemetry
/// can be turned off (log lines keep the trace id), and the framework's logging can be turned on with its trace ids.</summary>
public sealed class TelemetryConfigurationTests
{
    [Theory]
    [InlineData("--Attest:Telemetry:MetricsUrl=http://127.0.0.1", "Attest:Telemetry:MetricsUrl")]
    [InlineData("--Attest:Telemetry:MetricsUrl=https://127.0.0.1:9464", "Attest:Telemetry:MetricsUrl")]
    [InlineData("--Attest:Telemetry:MetricsUrl=http://127.0.0.1:9464/stats", "Attest:Telemetry:MetricsUrl")]
    [InlineData("--Attest:Telemetry:TraceSampleRatio=1.5", "Attest:Telemetry:TraceSampleRatio")]
    [InlineData("--Attest:Telemetry:Otlp:Endpoint=collector:4318", "Attest:Telemetry:Otlp:Endpoint")]
    [InlineData("--Attest:Telemetry:Otlp:Protocol=thrift", "Attest:Telemetry:Otlp:Protocol")]
    [InlineData("--Attest:Telemetry:MetricUrl=http://127.0.0.1:9464", "did you mean Attest:Telemetry:MetricsUrl?")]
    public async Task Invalid_telemetry_settings_stop_the_start_naming_the_setting(string argument, string setting)
    {
        using var workspace = new ServerWorkspace();
        await using var server = workspace.Start(argument);
        Assert.Equal(2, await server.WaitForExitAsync());
        var line = Assert.Single(server.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("attest-server: error: ", line, StringComparison.Ordinal);
        Assert.Contains(setting, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_telemetry_off_there_is_no_metrics_endpoint_and_log_lines_still_carry_the_trace_id()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start("--Attest:Telemetry:Enabled=false").WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "metrics");
        using (var response = await server.SendAsync(HttpMethod.Get, "metrics", token))
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);

        // The caller's trace id is in the decision's log line even with nothing recording spans.
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Post, "admission/validate")
        {
            Content = new StringContent(File.ReadAllText(RepositoryPaths.Vectors("admission", "connaisseur", "02_pod.json")), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
        using (var response = await server.Client.SendAsync(request)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await WaitForLogAsync(server, l => l.GetProperty("EventId").GetInt32() == 2002);
        var decided = Lines(server).Single(l => l.GetProperty("EventId").GetInt32() == 2002);
        Assert.Contains(decided.GetProperty("Scopes").EnumerateArray(), s => s.TryGetProperty("TraceId", out var t) && t.GetString() == traceId);
    }

    [Fact]
    public async Task Framework_logging_can_be_turned_on_for_a_diagnosis()
    {
        // (Off by default: StartupGuardTests.) The admission uid and trace ids are in such lines too.
        using var workspace = new ServerWorkspace();
        await using var chatty = await workspace.Start("--Logging:LogLevel:Microsoft.AspNetCore.Routing=Debug").WaitUntilListeningAsync();
        using (await chatty.Client.GetAsync("healthz")) { }
        await WaitForLogAsync(chatty, l => l.GetProperty("Category").GetString()!.StartsWith("Microsoft.AspNetCore.Routing", StringComparison.Ordinal) &&
                                           l.GetProperty("Scopes").EnumerateArray().Any(s => s.TryGetProperty("TraceId", out _)));
    }

    private static List<JsonElement> Lines(ServerProcess server) =>
        [.. server.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    private static async Task WaitForLogAsync(ServerProcess server, Func<JsonElement, bool> match)
    {
        for (var i = 0; i < 100 && !Lines(server).Any(match); i++) await Task.Delay(100);
        Assert.Contains(Lines(server), l => match(l));
    }
}
