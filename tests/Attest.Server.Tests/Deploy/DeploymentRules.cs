using YamlDotNet.RepresentationModel;

namespace Attest.Server.Tests.Deploy;

/// <summary>What every Attest Deployment and webhook the repository ships must say, rendered from the chart or written
/// as plain manifests: a numeric non-root user with an fsGroup, a read-only root with writable paths only where the
/// server writes, probes on /healthz and /readyz, no secret on the command line; webhooks that skip Attest's own
/// namespace, kube-system (by default) and namespaces that opt out.</summary>
internal static class DeploymentRules
{
    /// <summary>Where the server writes: its data directory and the temporary directory.</summary>
    private static readonly string[] WritablePaths = ["/var/lib/attest", "/tmp"];

    public static void AssertHardened(YamlMappingNode deployment)
    {
        var pod = Get(deployment, "spec", "template", "spec")!;
        Assert.Equal("true", Text(pod, "securityContext", "runAsNonRoot"));
        foreach (var id in new[] { "runAsUser", "runAsGroup", "fsGroup" })
            Assert.True(long.TryParse(Text(pod, "securityContext", id), out var n) && n > 0, $"pod securityContext.{id} must be a numeric non-root id, is '{Text(pod, "securityContext", id)}'");
        var container = Get(pod, "containers", "0")!;
        Assert.Equal("true", Text(container, "securityContext", "readOnlyRootFilesystem"));
        Assert.Equal("false", Text(container, "securityContext", "allowPrivilegeEscalation"));
        Assert.Equal("ALL", Text(container, "securityContext", "capabilities", "drop", "0"));
        Assert.Equal("/readyz", Text(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/healthz", Text(container, "livenessProbe", "httpGet", "path"));
        foreach (var mount in ((YamlSequenceNode)Get(container, "volumeMounts")!).Children)
        {
            if (Text(mount, "readOnly") == "true") continue;
            Assert.Contains(Text(mount, "mountPath"), WritablePaths);
        }
        var args = Get(container, "args") is YamlSequenceNode list ? list.Children.Select(a => ((YamlScalarNode)a).Value!).ToList() : [];
        Assert.DoesNotContain(args, a => a.Contains("Password", StringComparison.OrdinalIgnoreCase) || a.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase));
        foreach (var (name, value) in Environment(deployment))
            if (name.Contains("Password", StringComparison.Ordinal) || name.Contains("ConnectionString", StringComparison.Ordinal))
                Assert.StartsWith("secret ", value, StringComparison.Ordinal);
    }

    /// <summary>name → literal value, or "secret NAME/KEY" for a Secret reference.</summary>
    public static Dictionary<string, string> Environment(YamlMappingNode deployment)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Get(deployment, "spec", "template", "spec", "containers", "0", "env") is not YamlSequenceNode env) return result;
        foreach (var item in env.Children)
            result[Text(item, "name")] = Get(item, "valueFrom", "secretKeyRef") is { } secret
                ? $"secret {Text(secret, "name")}/{Text(secret, "key")}"
                : Text(item, "value");
        return result;
    }

    public static void AssertWebhookExclusions(YamlNode webhook, string attestNamespace, bool excludeKubeSystem)
    {
        var expressions = ((YamlSequenceNode)Get(webhook, "namespaceSelector", "matchExpressions")!).Children;
        var byName = Assert.Single(expressions, e => Text(e, "key") == "kubernetes.io/metadata.name");
        Assert.Equal("NotIn", Text(byName, "operator"));
        var excluded = ((YamlSequenceNode)Get(byName, "values")!).Children.Select(v => ((YamlScalarNode)v).Value).ToList();
        Assert.Equal(excludeKubeSystem ? [attestNamespace, "kube-system"] : [attestNamespace], excluded);
        var optOut = Assert.Single(expressions, e => Text(e, "key") == "attest.dev/admission");
        Assert.Equal("NotIn", Text(optOut, "operator"));
        Assert.Equal("disabled", Text(optOut, "values", "0"));
    }

    public static YamlNode? Get(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var next)) node = next;
            else if (node is YamlSequenceNode sequence && int.TryParse(key, out var index) && index < sequence.Children.Count) node = sequence.Children[index];
            else return null;
        }
        return node;
    }

    public static string Text(YamlNode node, params string[] path) => (Get(node, path) as YamlScalarNode)?.Value ?? "";
}
