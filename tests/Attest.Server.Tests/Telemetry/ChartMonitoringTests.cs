using Attest.Server.Tests.Deploy;
using YamlDotNet.RepresentationModel;

namespace Attest.Server.Tests.Telemetry;

/// <summary>The chart's monitoring: the metrics listener on by default (container port, Service port, the setting),
/// and the ServiceMonitor and PrometheusRule rendered only when asked for (their CRDs may not exist).</summary>
public sealed class ChartMonitoringTests
{
    private static List<string> Args(YamlMappingNode deployment) =>
        ((YamlSequenceNode)HelmChartTests.Get(deployment, "spec", "template", "spec", "containers", "0", "args")!).Children
            .Select(a => ((YamlScalarNode)a).Value!).ToList();

    private static YamlMappingNode Single(List<YamlMappingNode> documents, string kind) =>
        Assert.Single(documents, d => HelmChartTests.Text(d, "kind") == kind);

    [Fact]
    public void By_default_the_metrics_listener_is_served_and_published_but_no_operator_resources_are_rendered()
    {
        var documents = HelmChartTests.Render("policiesConfigMap: attest-policies");
        Assert.DoesNotContain(documents, d => HelmChartTests.Text(d, "kind") is "ServiceMonitor" or "PrometheusRule");
        var deployment = Single(documents, "Deployment");
        Assert.Contains("--Attest:Telemetry:MetricsUrl=http://0.0.0.0:9464", Args(deployment));
        var ports = (YamlSequenceNode)HelmChartTests.Get(deployment, "spec", "template", "spec", "containers", "0", "ports")!;
        Assert.Contains(ports.Children, p => HelmChartTests.Text(p, "name") == "metrics" && HelmChartTests.Text(p, "containerPort") == "9464");
        var service = (YamlSequenceNode)HelmChartTests.Get(Single(documents, "Service"), "spec", "ports")!;
        Assert.Contains(service.Children, p => HelmChartTests.Text(p, "name") == "metrics" && HelmChartTests.Text(p, "targetPort") == "metrics");
    }

    [Fact]
    public void ServiceMonitor_and_PrometheusRule_render_when_enabled_and_select_the_service()
    {
        var documents = HelmChartTests.Render("""
            policiesConfigMap: attest-policies
            metrics:
              serviceMonitor: {enabled: true, interval: 15s, labels: {release: kube-prometheus-stack}}
              prometheusRule: {enabled: true, labels: {release: kube-prometheus-stack}, admissionP99Seconds: 0.5}
            """);
        var monitor = Single(documents, "ServiceMonitor");
        Assert.Equal("monitoring.coreos.com/v1", HelmChartTests.Text(monitor, "apiVersion"));
        Assert.Equal("kube-prometheus-stack", HelmChartTests.Text(monitor, "metadata", "labels", "release"));
        Assert.Equal("metrics", HelmChartTests.Text(monitor, "spec", "endpoints", "0", "port"));
        Assert.Equal("/metrics", HelmChartTests.Text(monitor, "spec", "endpoints", "0", "path"));
        Assert.Equal("15s", HelmChartTests.Text(monitor, "spec", "endpoints", "0", "interval"));
        var service = Single(documents, "Service");
        foreach (var label in new[] { "app.kubernetes.io/name", "app.kubernetes.io/instance" })
            Assert.Equal(HelmChartTests.Text(service, "metadata", "labels", label), HelmChartTests.Text(monitor, "spec", "selector", "matchLabels", label));

        var rule = Single(documents, "PrometheusRule");
        Assert.Equal("kube-prometheus-stack", HelmChartTests.Text(rule, "metadata", "labels", "release"));
        Assert.EndsWith("> 0.5", HelmChartTests.Text(rule, "spec", "groups", "0", "rules", "0", "expr"), StringComparison.Ordinal);
    }

    [Fact]
    public void Metrics_can_be_turned_off()
    {
        var documents = HelmChartTests.Render("{policiesConfigMap: attest-policies, metrics: {enabled: false}}");
        Assert.DoesNotContain(Args(Single(documents, "Deployment")), a => a.Contains("Telemetry", StringComparison.Ordinal));
        var service = (YamlSequenceNode)HelmChartTests.Get(Single(documents, "Service"), "spec", "ports")!;
        Assert.Single(service.Children);
    }
}
